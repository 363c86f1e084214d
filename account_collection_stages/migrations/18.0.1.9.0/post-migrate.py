"""Only an invoice on the collection ladder has a next collection action. Earlier versions left
its date on an invoice taken off the ladder by hand while it was not past due (a draft being
corrected, say): the date is cleared."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE account_move
           SET collection_next_action_date = NULL
         WHERE collection_stage_id IS NULL
           AND collection_next_action_date IS NOT NULL
        """
    )
