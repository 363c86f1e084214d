import { registry } from "@web/core/registry";

const header = ".o_form_view .o_statusbar_buttons:has(button[name='action_register_payment'])";

/** An overdue invoice's form offers Send overdue reminder now... */
registry.category("web_tour.tours").add("account_collection_stages_send_now_offered", {
    steps: () => [{ trigger: `${header} button[name='action_collection_send_reminder']` }],
});

/** ...but not while the invoice is on hold: Send now would refuse it. */
registry.category("web_tour.tours").add("account_collection_stages_send_now_hidden", {
    steps: () => [
        { trigger: `${header}:not(:has(button[name='action_collection_send_reminder']))` },
    ],
});
