"""Every user-facing string of the addon has a Spanish and an Italian translation."""

import os

import polib

from odoo.tests import BaseCase, tagged

I18N = os.path.join(os.path.dirname(__file__), "..", "account_collection_stages", "i18n")


@tagged("standard", "post_install", "-at_install")
class TestTranslations(BaseCase):
    def test_es_and_it_translate_every_string(self):
        template = polib.pofile(os.path.join(I18N, "account_collection_stages.pot"))
        msgids = {entry.msgid for entry in template if entry.msgid}
        self.assertGreater(len(msgids), 100)
        for lang in ("es", "it"):
            with self.subTest(lang=lang):
                po = polib.pofile(os.path.join(I18N, f"{lang}.po"))
                translated = {e.msgid for e in po.translated_entries() if not e.obsolete}
                self.assertEqual(sorted(msgids - translated), [])
