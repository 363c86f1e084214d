"""Payment plans record the day they were made (date): the payments the customer makes from
then on, matched or not, pay the installments. A plan made before takes the day it was
created, in its company's time zone (UTC without one), before the ORM would give it today's."""


def migrate(cr, version):
    cr.execute("ALTER TABLE collection_payment_plan ADD COLUMN IF NOT EXISTS date date")
    cr.execute(
        """
        UPDATE collection_payment_plan plan
           SET date = (plan.create_date AT TIME ZONE 'UTC'
                       AT TIME ZONE COALESCE(partner.tz, 'UTC'))::date
          FROM res_company company
          JOIN res_partner partner ON partner.id = company.partner_id
         WHERE company.id = plan.company_id AND plan.date IS NULL
        """
    )
