"""A "Collection call" scheduled by hand by a user who cannot log it (a salesperson) stays an
activity of theirs, which they mark done. Before, it became the company's collection call, which
they could neither mark done nor log: those still open become theirs again.

The To-Dos a call leaves (resolve a dispute, check the customer's payment), which name the
company's invoices, the reason and the payments, are now the company's, hidden from the other
companies' users: so are those still open. A dispute's is its event's activity; a payment's
was made with its call, in the same transaction, which dates both alike, by the user who logged
the call, for themselves.

A company's collection messages on a customer the companies share show only to that company's
users: the reminders and history notes written before are found through their events. The
messages of collection activities done before have no trace of their company, and stay."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute(
        """
        UPDATE mail_message AS message
           SET collection_company_id = event.company_id
          FROM collection_event AS event
         WHERE event.mail_message_id = message.id
           AND message.collection_company_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = event.company_id
          FROM collection_event AS event
         WHERE event.activity_id = activity.id
           AND event.kind = 'dispute'
           AND activity.collection_company_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = event.company_id
          FROM collection_event AS event, ir_model_data AS todo
         WHERE todo.module = 'mail'
           AND todo.name = 'mail_activity_data_todo'
           AND activity.activity_type_id = todo.res_id
           AND activity.res_model = 'res.partner'
           AND activity.res_id = event.partner_id
           AND activity.create_date = event.create_date
           AND activity.create_uid = event.create_uid
           AND activity.user_id = event.create_uid
           AND activity.collection_company_id IS NULL
           AND event.kind = 'call'
           AND event.call_outcome = 'already_paid'
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    call_type = env.ref(
        "account_collection_stages.mail_activity_type_collection_call", raise_if_not_found=False
    )
    if not call_type:
        return
    by_hand = env["mail.activity"].search(
        [
            ("activity_type_id", "=", call_type.id),
            ("res_model", "=", "res.partner"),
            ("collection_company_id", "!=", False),
            ("collection_stage_id", "=", False),
        ]
    )
    # Scheduled by an active employee who is no collection user, for someone who cannot log
    # the call either. Not those of collection users, who may have lost their rights since.
    scheduler = env["collection.activity.scheduler"]
    for company, calls in by_hand.grouped("collection_company_id").items():
        workers = scheduler.with_company(company)._collection_workers(calls.user_id)
        for call in calls:
            author = call.create_uid
            if (
                author
                and author.id != SUPERUSER_ID
                and author.active
                and not author.share
                and not author.has_group("account_collection_stages.group_collection_user")
                and call.user_id not in workers
            ):
                call.collection_company_id = False
    env.flush_all()
