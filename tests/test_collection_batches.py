"""The run goes in batches; a run that dies half-way is finished by the next without duplicates."""

from unittest.mock import patch

from odoo.tests import tagged

from .common import CollectionCase

Engine = "odoo.addons.account_collection_stages.models.collection_engine.CollectionEngine"


@tagged("standard", "post_install", "-at_install")
class TestCollectionBatches(CollectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("account_collection_stages.batch_size", 2)
        cls.customers = (
            cls.customer
            | cls._customer("Deco Addict")
            | cls._customer("Gemini Furniture")
            | cls._customer("Lumber Inc")
            | cls._customer("Ready Mat")
        )
        for customer in cls.customers:
            cls._invoice(customer, 5)

    def test_crash_between_batches_then_rerun(self):
        process = type(self.env["collection.engine"])._collection_process
        calls = []

        def crash_on_second_batch(engine, partners, today):
            calls.append(partners)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return process(engine, partners, today)

        # The scheduled action reports the crash wrapped by safe_eval.
        with (
            patch(f"{Engine}._collection_process", crash_on_second_batch),
            self.assertRaisesRegex(Exception, "worker killed"),
        ):
            self.run_engine()
        first_batch = calls[0]
        self.assertEqual(len(first_batch), 2)
        for customer in self.customers:
            expected = 1 if customer in first_batch else 0
            self.assertEqual(len(self.reminders(customer)), expected, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), expected, customer.name)
        self.run_engine()
        for customer in self.customers:
            self.assertEqual(len(self.reminders(customer)), 1, customer.name)
            self.assertEqual(len(self.queued_mails(customer)), 1, customer.name)

    def test_progress_is_reported(self):
        progress = []
        notify = type(self.env["ir.cron"])._notify_progress

        def record(cron, *, done, remaining, deactivate=False):
            progress.append((done, remaining))
            return notify(cron, done=done, remaining=remaining, deactivate=deactivate)

        with patch.object(type(self.env["ir.cron"]), "_notify_progress", record):
            self.run_engine()
        self.assertEqual(progress, [(2, 3), (4, 1), (5, 0)])
