"""A promise's state "Broken" reads "Not kept" from this version, apart from a payment plan's
"Broken": one translation served both, right for one grammatical gender only. The update keeps
the translations a label has, so the promise state's Spanish and Italian ones are dropped here,
before it: the update then loads the new ones. Those of other languages stay."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_model_fields_selection selection
           SET name = (
                   SELECT jsonb_object_agg(lang, label)
                     FROM jsonb_each(selection.name) AS labels(lang, label)
                    WHERE lang NOT LIKE 'es%' AND lang NOT LIKE 'it%'
               )
          FROM ir_model_data data
         WHERE data.module = 'account_collection_stages'
           AND data.model = 'ir.model.fields.selection'
           AND data.name = 'selection__collection_event__promise_state__broken'
           AND selection.id = data.res_id
        """
    )
