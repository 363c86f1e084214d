"""A "Collection call" scheduled by hand on a customer is now a call of the company it was
scheduled in. For those already open: the company of the customer's latest collection event,
else the company of the user it is assigned to, else the only company."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE mail_activity AS activity
           SET collection_company_id = COALESCE(
                   (
                       SELECT event.company_id
                         FROM collection_event AS event
                        WHERE event.partner_id = activity.res_id
                        ORDER BY event.date DESC, event.id DESC
                        LIMIT 1
                   ),
                   (SELECT company_id FROM res_users WHERE id = activity.user_id),
                   (SELECT MIN(id) FROM res_company HAVING COUNT(*) = 1)
               )
          FROM ir_model_data AS xmlid
         WHERE xmlid.module = 'account_collection_stages'
           AND xmlid.name = 'mail_activity_type_collection_call'
           AND activity.activity_type_id = xmlid.res_id
           AND activity.res_model = 'res.partner'
           AND activity.collection_company_id IS NULL
        """
    )
