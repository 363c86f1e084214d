"""Collection activities now say for which company they were scheduled: those of a stage take
its company; a "Reminder not emailed" one takes the company of the customer's reminder of the
day it was scheduled (its deadline), else of the customer's latest reminder."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = stage.company_id
          FROM collection_stage AS stage
         WHERE stage.id = activity.collection_stage_id
           AND activity.collection_company_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = (
                   SELECT event.company_id
                     FROM collection_event AS event
                    WHERE event.partner_id = activity.res_id
                      AND event.kind = 'reminder'
                    ORDER BY event.date = activity.date_deadline DESC,
                             event.date DESC,
                             event.id DESC
                    LIMIT 1
               )
          FROM ir_model_data AS xmlid
         WHERE xmlid.module = 'account_collection_stages'
           AND xmlid.name = 'mail_activity_type_collection_no_email'
           AND activity.activity_type_id = xmlid.res_id
           AND activity.res_model = 'res.partner'
           AND activity.collection_company_id IS NULL
        """
    )
