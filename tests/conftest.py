"""pytest-odoo runs these tests; Odoo's test framework expects to be imported in test mode."""

from odoo.tools import config

config["test_enable"] = True
