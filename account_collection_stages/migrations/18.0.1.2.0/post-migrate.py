"""Collection activities now say for which company they were scheduled. Those of a stage take
its company when the field is added (it is computed from the stage). A "Reminder not emailed"
one takes the company of the customer's reminder of the day it was scheduled (its deadline),
else of the customer's latest reminder, else the only company."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = COALESCE(
                   (
                       SELECT event.company_id
                         FROM collection_event AS event
                        WHERE event.partner_id = activity.res_id
                          AND event.kind = 'reminder'
                        ORDER BY event.date = activity.date_deadline DESC,
                                 event.date DESC,
                                 event.id DESC
                        LIMIT 1
                   ),
                   (SELECT MIN(id) FROM res_company HAVING COUNT(*) = 1)
               )
          FROM ir_model_data AS xmlid
         WHERE xmlid.module = 'account_collection_stages'
           AND xmlid.name = 'mail_activity_type_collection_no_email'
           AND activity.activity_type_id = xmlid.res_id
           AND activity.res_model = 'res.partner'
           AND activity.collection_company_id IS NULL
        """
    )
