import { registry } from "@web/core/registry";

const call = ".o-mail-Activity:contains('Call the customer')";

/** On a customer's chatter, a collection call is logged, not marked done, in the chatter as in
 * its Edit dialog; other activities keep Mark Done. Log call opens the call dialog. */
registry.category("web_tour.tours").add("account_collection_stages_call_activity", {
    steps: () => [
        {
            content: "Another activity keeps Mark Done",
            trigger: ".o-mail-Activity:contains('Check the contract') .o-mail-Activity-markDone",
        },
        {
            content: "The collection call has no Mark Done",
            trigger: `${call}:not(:has(.o-mail-Activity-markDone))`,
        },
        {
            content: "Edit the collection call",
            trigger: `${call} .o-mail-Activity-edit`,
            run: "click",
        },
        {
            content: "Its dialog offers Log call, not Mark as Done",
            trigger:
                ".modal .modal-footer:has(button[name='action_collection_log_call']):not(:has(button[name='action_done'])):not(:has(button[name='action_done_schedule_next']))",
        },
        {
            trigger: ".modal .modal-footer button[name='action_collection_log_call']",
            run: "click",
        },
        {
            content: "The call dialog opens",
            trigger: ".modal .modal-title:contains('Log a collection call')",
        },
        {
            trigger: ".modal .o_field_widget[name='partner_id']:contains('Azure Interior')",
        },
        {
            content: "Close it",
            trigger: ".modal .modal-footer button[special='cancel']",
            run: "click",
        },
        {
            content: "Log the collection call from the chatter",
            trigger: `body:not(:has(.modal)) ${call} .o-mail-Activity-collectionLogCall`,
            run: "click",
        },
        {
            content: "The call dialog opens",
            trigger: ".modal .modal-title:contains('Log a collection call')",
        },
    ],
});

/** In the activity popover of a list or kanban, the same: Log call, no Mark Done. */
registry.category("web_tour.tours").add("account_collection_stages_call_activity_popover", {
    steps: () => [
        {
            content: "Open the customer's activities",
            trigger: ".o_kanban_record:contains('Azure Interior') .o-mail-ActivityButton",
            run: "click",
        },
        {
            content: "Another activity keeps Mark Done",
            trigger:
                ".o-mail-ActivityListPopoverItem:contains('Check the contract') .o-mail-ActivityListPopoverItem-markAsDone",
        },
        {
            content: "The collection call has Log call, not Mark Done",
            trigger:
                ".o-mail-ActivityListPopoverItem:contains('Call the customer'):not(:has(.o-mail-ActivityListPopoverItem-markAsDone)) .o-mail-ActivityListPopoverItem-collectionLogCall",
            run: "click",
        },
        {
            content: "The call dialog opens, the popover closed",
            trigger:
                "body:not(:has(.o-mail-ActivityListPopover)) .modal .modal-title:contains('Log a collection call')",
        },
    ],
});

/** In the activity list (Activity Overview), the same: Log call, no Done, on the call's row. */
registry.category("web_tour.tours").add("account_collection_stages_call_activity_list", {
    steps: () => [
        {
            content: "Another activity keeps Done",
            trigger: ".o_data_row:contains('Check the contract') button[name='action_done']",
        },
        {
            content: "The collection call has Log call, not Done",
            trigger:
                ".o_data_row:contains('Call the customer'):not(:has(button[name='action_done'])) button[name='action_collection_log_call']",
            run: "click",
        },
        {
            content: "The call dialog opens",
            trigger: ".modal .modal-title:contains('Log a collection call')",
        },
    ],
});
