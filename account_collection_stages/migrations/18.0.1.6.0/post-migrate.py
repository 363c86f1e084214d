"""An individual with a tax ID (a sole trader) is now a business by default, not a consumer:
the late payment laws give businesses the commercial interest rate and the fixed fee. The
customers the old default made consumers for no other reason than being individuals are
businesses again; a company's setting, or a consumer marked so by hand, cannot be told apart
from the default for an individual with a tax ID, and becomes a business too."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE res_partner
           SET collection_is_consumer = FALSE
         WHERE collection_is_consumer
           AND NOT COALESCE(is_company, FALSE)
           AND COALESCE(TRIM(vat), '') != ''
        """
    )
    if cr.rowcount:
        _logger.info(
            "%s individuals with a tax ID are now business debtors, not consumers.", cr.rowcount
        )
