import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";
import { patch } from "@web/core/utils/patch";

/**
 * Collection calls (the server's collection_is_call) are done by logging them: the call dialog
 * records the outcome and counts the call under the contact rules. Mark Done would leave no
 * trace of the call, and the server refuses it.
 */
async function logCollectionCall(env, activity, onClose) {
    const action = await env.services.orm.call("mail.activity", "action_collection_log_call", [
        [activity.id],
    ]);
    await env.services.action.doAction(action, { onClose });
}

patch(Activity.prototype, {
    async onClickCollectionLogCall() {
        const thread = this.thread;
        await logCollectionCall(this.env, this.props.activity, () => {
            this.props.onActivityChanged(thread);
            thread.fetchNewMessages();
        });
    },
});

patch(ActivityListPopoverItem.prototype, {
    get hasMarkDoneButton() {
        return super.hasMarkDoneButton && !this.props.activity.collection_is_call;
    },

    /** Log the call in its dialog, the popover closed; then the activities are read again. */
    async onClickCollectionLogCall() {
        this.props.onClickEditActivityButton?.();
        await logCollectionCall(this.env, this.props.activity, () =>
            this.props.onActivityChanged?.()
        );
    },
});
