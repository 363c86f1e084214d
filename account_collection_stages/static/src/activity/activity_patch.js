import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";
import { patch } from "@web/core/utils/patch";

import { isCollectionCall } from "./collection_call";

patch(Activity.prototype, {
    get isCollectionCall() {
        return isCollectionCall(this.props.activity);
    },

    /** Collection calls are done by logging them: the wizard records the outcome and acts. */
    async onClickCollectionLogCall() {
        const thread = this.thread;
        const action = await this.env.services.orm.call(
            "mail.activity",
            "action_collection_log_call",
            [[this.props.activity.id]]
        );
        await this.env.services.action.doAction(action, {
            onClose: () => {
                this.props.onActivityChanged(thread);
                thread.fetchNewMessages();
            },
        });
    },
});

patch(ActivityListPopoverItem.prototype, {
    get isCollectionCall() {
        return isCollectionCall(this.props.activity);
    },

    get hasMarkDoneButton() {
        return super.hasMarkDoneButton && !this.isCollectionCall;
    },

    /** Log the call in its dialog, the popover closed; then the activities are read again. */
    async onClickCollectionLogCall() {
        this.props.onClickEditActivityButton?.();
        const action = await this.env.services.orm.call(
            "mail.activity",
            "action_collection_log_call",
            [[this.props.activity.id]]
        );
        await this.env.services.action.doAction(action, {
            onClose: () => this.props.onActivityChanged?.(),
        });
    },
});
