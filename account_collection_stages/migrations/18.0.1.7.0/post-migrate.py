"""An invoice's next collection action is now its next reminder or the day it reaches a later
stage, whichever comes first; it was its next reminder only. The dates kept are cleared: the
next daily run dates again every invoice on a stage with a later one."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE account_move
           SET collection_next_action_date = NULL
         WHERE collection_stage_id IS NOT NULL
           AND collection_next_action_date IS NOT NULL
        """
    )
