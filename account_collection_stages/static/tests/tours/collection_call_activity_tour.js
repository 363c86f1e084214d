import { registry } from "@web/core/registry";

/** On a customer's chatter, a collection call is logged, not marked done; other activities
 * keep Mark Done. Log call opens the call dialog. */
registry.category("web_tour.tours").add("account_collection_stages_call_activity", {
    steps: () => [
        {
            content: "Another activity keeps Mark Done",
            trigger: ".o-mail-Activity:contains('Check the contract') .o-mail-Activity-markDone",
        },
        {
            content: "The collection call has no Mark Done",
            trigger:
                ".o-mail-Activity:contains('Call the customer'):not(:has(.o-mail-Activity-markDone))",
        },
        {
            content: "Log the collection call",
            trigger: ".o-mail-Activity:contains('Call the customer') .o-mail-Activity-collectionLogCall",
            run: "click",
        },
        {
            content: "The call dialog opens",
            trigger: ".modal .modal-title:contains('Log a collection call')",
        },
        {
            trigger: ".modal .o_field_widget[name='partner_id']:contains('Azure Interior')",
        },
    ],
});
