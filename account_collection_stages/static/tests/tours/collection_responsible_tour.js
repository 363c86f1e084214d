import { registry } from "@web/core/registry";

const responsible = ".o_field_widget[name='collection_responsible_id']";
const dropdown = ".o-autocomplete--dropdown-menu";

/** A customer's collection responsible is chosen among those who can take its calls. */
registry.category("web_tour.tours").add("account_collection_stages_responsible_offered", {
    steps: () => [
        { trigger: ".o_notebook .nav-link:contains(Collection)", run: "click" },
        { trigger: `${responsible} input`, run: "click" },
        { trigger: `${dropdown} .o-autocomplete--dropdown-item:contains(Administrator)` },
        { trigger: `${dropdown}:not(:has(.o-autocomplete--dropdown-item:contains(Sally Sales)))` },
    ],
});
