"""Each company's payment score of its customers: broken promises and plans counted again
from the collection history, then the score from the invoices (see pre-migrate)."""

from collections import Counter

from odoo import SUPERUSER_ID, api
from odoo.tools import split_every

from odoo.addons.account_collection_stages.models.sql_rows import update_rows


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for company in env["res.company"].search([]):
        env = env(context={"allowed_company_ids": company.ids})
        Partner = env["res.partner"].with_context(active_test=False)
        promises = Counter(
            {
                partner: count
                for partner, count in env["collection.event"]._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("kind", "=", "promise"),
                        ("promise_state", "=", "broken"),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
            }
        )
        plans = Counter()
        for partner, count in env["collection.payment.plan"]._read_group(
            [("company_id", "=", company.id), ("state", "=", "broken")],
            ["partner_id"],
            ["__count"],
        ):
            plans[partner.commercial_partner_id] += count
        update_rows(
            Partner,
            {
                partner: {
                    "collection_broken_promises": promises[partner],
                    "collection_broken_plans": plans[partner],
                }
                for partner in promises.keys() | plans.keys()
            },
        )
        customers = [
            partner.id
            for [partner] in env["account.move"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                ],
                ["commercial_partner_id"],
            )
        ]
        for ids in split_every(1000, customers):
            env["collection.payment.score"]._recompute(Partner.browse(ids))
            env.invalidate_all()
