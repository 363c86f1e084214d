/**
 * A collection call: a phone-call activity the collection scheduled (it has a company of its
 * own). It is done by logging it, which records the outcome and counts the call under the
 * contact rules; Mark Done would leave no trace of the call, and the server refuses it.
 */
export function isCollectionCall(activity) {
    return Boolean(activity.collection_company_id) && activity.activity_category === "phonecall";
}
