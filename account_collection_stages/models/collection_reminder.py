from collections import defaultdict

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import split_every

# Invoices rendered by one wkhtmltopdf run, at most.
PDF_BATCH = 100


class CollectionReminder(models.AbstractModel):
    """The overdue reminders: one email per customer, the invoices' PDFs attached, from the
    daily run or from the "Send overdue reminder now" buttons."""

    _name = "collection.reminder"
    _description = "Collection Reminder"

    def _collection_send_reminders(self, events):
        """Email each reminder event to its customer, with the invoices' PDFs attached.

        The emails are queued, not sent: the mail queue sends them once the batch is committed.
        """
        if not events:
            return
        # The invoices' lines and PDFs state what was past due on the reminders' day, as their
        # totals do, should the run go on past midnight.
        dated = self.with_context(collection_date=max(events.mapped("date")))
        dated._collection_post_reminders(events.with_env(dated.env))

    def _collection_post_reminders(self, events):
        """_collection_send_reminders, on the reminders' day (``collection_date``)."""
        pdfs = self._collection_invoice_documents(events.move_ids)
        Attachment = self.env["ir.attachment"]
        unreached = self.env["collection.event"]
        for template, group in events.grouped(lambda e: e.stage_id.mail_template_id).items():
            subjects = template._render_field("subject", group.ids, compute_lang=True)
            bodies = template._render_field("body_html", group.ids, compute_lang=True)
            # The template's sender and reply-to, as Odoo's own sending uses them.
            senders, reply_tos = (
                template._render_field(name, group.ids, compute_lang=True) if template[name] else {}
                for name in ("email_from", "reply_to")
            )
            for event in group:
                partner = event.partner_id
                # Each PDF belongs to its invoice, as the invoice emails Odoo sends: those who
                # may read the invoice may open it, not everyone who sees the customer.
                attachments = Attachment.create(
                    [
                        {
                            "name": self._collection_reminder_file_name(
                                move, pdfs[move.id][0], event.date
                            ),
                            "raw": pdfs[move.id][1],
                            "mimetype": pdfs[move.id][2],
                            "res_model": "account.move",
                            "res_id": move.id,
                        }
                        for move in event.move_ids
                    ]
                )
                # The template's own files (terms and conditions, say): a copy each, as
                # Odoo's composer makes; the template keeps its own.
                for attachment in template.attachment_ids:
                    attachments |= attachment.copy(
                        {"res_model": "res.partner", "res_id": partner.id}
                    )
                recipients = partner._collection_invoice_contacts()
                # Queued, not sent: the mail queue sends once the batch is committed. The
                # company does not become a follower of every customer it reminds.
                message = partner.with_context(
                    mail_notify_force_send=False, mail_create_nosubscribe=True
                ).message_post(
                    subject=subjects[event.id],
                    body=bodies[event.id],
                    partner_ids=recipients.ids,
                    attachment_ids=attachments.ids,
                    message_type="comment",
                    subtype_xmlid="account_collection_stages.mail_message_subtype_collection_reminder",
                    author_id=event.company_id.partner_id.id,
                    email_from=senders.get(event.id) or event.company_id.email_formatted or None,
                    reply_to=reply_tos.get(event.id) or None,
                    mail_server_id=template.mail_server_id.id or None,
                    collection_company_id=event.company_id.id,
                )
                if not recipients:
                    event.sudo().note = self.env._(
                        "Not emailed: neither the customer nor its invoice addresses have a "
                        "valid email address (archived ones receive no email)."
                    )
                    unreached |= event
                event.sudo().mail_message_id = message
        self._collection_ask_for_email(unreached)

    def _collection_reminder_file_name(self, move, name, day):
        """The name of ``move``'s document ``name`` on the reminder of ``day``: the invoice's
        own, dated, in the language of its PDF. Each reminder's copy then stands apart, among
        the invoice's attachments, from the invoice's PDF and from the other reminders'."""
        stem, dot, extension = name.rpartition(".")
        title = self.with_context(lang=move.partner_id.lang).env._(
            "%(invoice)s - overdue reminder %(date)s",
            invoice=stem or extension,
            date=day.isoformat(),
        )
        return f"{title}.{extension}" if dot else title

    def _collection_ask_for_email(self, events):
        """For reminder ``events`` that reached no one (the customer has no email address), a
        "Reminder not emailed" activity for the customer's collection responsible: to send the
        reminder, which is in the customer's chatter, by post, or to add an address. One open
        at a time per customer and company: each company's reminder is posted by its own."""
        if not events:
            return
        activity_type = self.env.ref(
            "account_collection_stages.mail_activity_type_collection_no_email"
        )
        waiting = set(
            self.env["mail.activity"]
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", events.partner_id.ids),
                    ("activity_type_id", "=", activity_type.id),
                    ("collection_company_id", "=", self.env.company.id),
                ]
            )
            .mapped("res_id")
        )
        # The reminders' day: the company's (the run's, or Send now's).
        today = max(events.mapped("date"))
        scheduler = self.env["collection.activity.scheduler"]
        fallback = scheduler._collection_default_responsible()
        vals_list = []
        for event in events:
            partner = event.partner_id
            if partner.id in waiting:
                continue
            waiting.add(partner.id)
            user = scheduler._collection_responsible(partner, event.move_ids, fallback)
            env = self.with_context(lang=user.lang).env
            vals_list.append(
                {
                    "res_id": partner.id,
                    "res_name": partner.display_name,
                    "activity_type_id": activity_type.id,
                    "summary": activity_type.with_env(env).summary,
                    "note": Markup("<p>%s</p>")
                    % env._(
                        "%(customer)s has no valid email address (archived contacts receive no "
                        "email), so the overdue reminder of "
                        "%(invoices)s was not emailed: send it by post (it is in the customer's "
                        "chatter), or add an email address to the customer or to an invoice "
                        "address.",
                        customer=partner.display_name,
                        invoices=", ".join(event.move_ids.mapped("name")),
                    ),
                    "user_id": user,
                    "date_deadline": today,
                    "collection_stage_id": None,
                }
            )
        scheduler._collection_create_activities(vals_list, today)

    def _collection_invoice_documents(self, moves):
        """{move id: (file name, content, mimetype)}: each invoice's report, OVERDUE banner and
        all, in its customer's language.

        Starting wkhtmltopdf takes most of a PDF's time, so invoices are rendered together,
        up to PDF_BATCH per run (see ir_actions_report.py), and Odoo splits the PDF by invoice:
        by page when each invoice takes one page, or by the outlines of a patched-Qt
        wkhtmltopdf. A group it cannot split (an invoice of several pages with Debian's
        wkhtmltopdf; HTML reports in test databases) is rendered again in halves."""
        report = self.env["ir.actions.report"].with_context(
            report_pdf_no_attachment=True, collection_one_run=True
        )
        # The record, not its xml id: each lookup by name costs queries, per invoice.
        invoice_report = self.env.ref("account.account_invoices").sudo()
        result = {}
        # One run per language and company: the layout's head (styles, direction) is theirs.
        todo = [
            (lang, batch)
            for (lang, _company), group in moves.grouped(
                lambda m: (m.partner_id.lang, m.company_id)
            ).items()
            for batch in split_every(PDF_BATCH, group.ids, moves.browse)
        ]
        while todo:
            lang, group = todo.pop()
            content, kind = report.with_context(lang=lang)._pre_render_qweb_pdf(
                invoice_report, res_ids=group.ids
            )
            if len(group) > 1 and (kind != "pdf" or False in content):
                half = len(group) // 2
                todo += [(lang, group[:half]), (lang, group[half:])]
                continue
            for move in group:
                name = move._get_invoice_report_filename()
                if kind == "pdf":
                    result[move.id] = (
                        name,
                        content[move.id]["stream"].getvalue(),
                        "application/pdf",
                    )
                else:
                    result[move.id] = (name.replace(".pdf", ".html"), content, "text/html")
        return result

    @api.model
    def _collection_send_now_stage(self, moves, mailing):
        """The stage whose email "Send overdue reminder now" sends for ``moves`` (invoices of
        the current company): the firmest stage that has one, up to the invoices' firmest
        stage, as the daily run would; the first stage that has one for invoices not on the
        ladder yet. ``mailing``: the company's active stages that have an email, to which the
        invoices' own stages are added (archived ones too: their invoices keep their email)."""
        stages = moves.collection_stage_id
        firmest = stages.sorted(lambda s: s._ladder_key())[-1:]
        if firmest:
            candidates = (mailing | stages.filtered("mail_template_id")).filtered(
                lambda s: s._ladder_key() <= firmest._ladder_key()
            )
            stage = candidates.sorted(lambda s: s._ladder_key())[-1:] or mailing[:1]
        else:
            stage = mailing[:1]
        if not stage:
            raise UserError(
                self.env._(
                    "No collection stage of %(company)s has a reminder email.",
                    company=self.env.company.name,
                )
            )
        return stage

    @api.model
    def _collection_check_not_paused(self, moves, todays):
        """Refuse to remind of ``moves`` that the daily run leaves alone: disputed (collection
        waits for the dispute's resolution), paid by a payment plan, or on hold on their
        company's day (``todays``)."""
        engine = self.env["collection.engine"]
        paused = moves.filtered(
            lambda m: (
                not engine._collection_to_chase(m)
                or engine._collection_on_hold(m, todays[m.company_id])
            )
        )
        if paused:
            raise UserError(
                self.env._(
                    "%(invoices)s is disputed, paid by a payment plan or on hold: no overdue "
                    "reminder is sent about it.",
                    invoices=", ".join(paused.mapped("name")),
                )
            )

    @api.model
    def _collection_refuse_nothing_to_remind(self, reminded, covered=None):
        """Refuse Send now when nothing is left to remind: of the invoices ``reminded`` today
        already, else of those of the customers ``covered`` that their credits pay."""
        if not covered or reminded.commercial_partner_id & covered:
            raise UserError(
                self.env._(
                    "%(invoices)s got an overdue reminder today already.",
                    invoices=", ".join(reminded.mapped("name")),
                )
            )
        raise UserError(
            self.env._(
                "The unapplied credit notes and payments of %(customer)s cover the "
                "invoices to remind: match them with the invoices instead.",
                customer=", ".join(covered.mapped("display_name")),
            )
        )

    @api.model
    def _collection_send_now(self, moves, partners=None):
        """The "Send overdue reminder now" buttons: remind at once, whatever the schedule.

        With ``partners`` (the customer's button; ``moves`` empty), of the customers' overdue
        invoices those the daily run would claim: not the excluded, held or disputed ones, nor
        those of a payment plan. Without, of ``moves``, the invoices the user chose."""
        self.env["collection.event"]._collection_check_user(
            self.env._("Only collection users can send overdue reminders.")
        )
        events = self.env["collection.event"]
        for engine, group, vals in self._collection_send_now_plan(moves, partners):
            vals["user_id"] = self.env.user.id
            event = engine.env["collection.event"].sudo()._collection_record([vals])
            engine.env["collection.reminder"].sudo()._collection_send_reminders(event)
            writes = {}
            engine.sudo()._collection_book_reminders(group.sudo(), vals["date"], writes)
            engine.env["collection.next.action"].sudo()._collection_replan(
                group.sudo(), vals["date"], writes
            )
            engine.sudo()._collection_write_moves(writes)
            events |= event
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Overdue reminder sent to %(customers)s.",
                    customers=", ".join(events.partner_id.mapped("display_name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _collection_would_send(self, moves, partners=None):
        """Whether Send now would send a reminder (see _collection_send_now): whatever it
        would refuse, for the reasons it gives, hides its button."""
        try:
            return bool(self._collection_send_now_plan(moves, partners))
        except UserError:
            return False

    @api.model
    def _collection_send_now_plan(self, moves, partners=None):
        """The reminders Send now would send (see _collection_send_now), decided and not
        sent: a list of (engine of the company, invoices, event values), one per customer.
        Raises the UserError that tells why, when there is none to send. Reads only: the
        invoice form asks it whether to offer the button."""
        # Each company's invoices are past due on its own day.
        todays = {
            company: company._collection_today() for company in moves.company_id | self.env.company
        }
        engine = self.env["collection.engine"]
        if partners is None:
            overdue = {}
            for company, company_moves in moves.grouped("company_id").items():
                overdue.update(engine._collection_past_due(company_moves, todays[company]))
            moves = moves.filtered(lambda m: m in overdue)
            customers = moves.commercial_partner_id
            excluded = moves.filtered(
                lambda m: m.collection_excluded or m.commercial_partner_id.collection_excluded
            )
            self._collection_check_not_paused(moves, todays)
        else:
            customers = partners
            excluded = partners.filtered("collection_excluded")
        if excluded:
            raise UserError(
                self.env._(
                    "%(records)s is excluded from collection; resume it first.",
                    records=", ".join(excluded.mapped("display_name")),
                )
            )
        silenced = customers.filtered("collection_no_contact")
        if silenced:
            raise UserError(
                self.env._(
                    "%(customers)s asked to stop all contact (cease communication): no reminder "
                    "may be sent.",
                    customers=", ".join(silenced.mapped("display_name")),
                )
            )
        unreachable = customers.filtered("collection_unreachable")
        if unreachable:
            raise UserError(
                self.env._(
                    "%(customers)s has no valid email address (archived contacts receive no "
                    "email): add one to the customer or to an invoice address first.",
                    customers=", ".join(unreachable.mapped("display_name")),
                )
            )
        if partners is not None:
            # The customer's button: invoices of the current company.
            overdue = engine._collection_overdue(
                engine._collection_line_domain(todays[self.env.company], partners)
            )
            moves = self.env["account.move"].browse([move.id for move in overdue])
        if not moves:
            raise UserError(self.env._("There is no overdue invoice to remind."))
        # Never twice a day, as the daily run: an invoice it reminded this morning, or a
        # click a moment ago, is left out.
        reminded = moves.filtered(lambda m: m._collection_reminded_since(todays[m.company_id]))
        moves -= reminded
        if not moves:
            self._collection_refuse_nothing_to_remind(reminded)
        # Every customer's reminder is decided before any is sent.
        reminders = []
        covered = self.env["res.partner"]
        for company, company_moves in moves.grouped("company_id").items():
            engine = self.env["collection.engine"].with_company(company)
            today = todays[company]
            company_customers = company_moves.commercial_partner_id
            # Credits pay the customers' oldest invoices first, whether chosen or not: those
            # the daily run would claim (with the customers' button, ``overdue`` already).
            claimable = overdue
            if partners is None:
                claimable = engine._collection_overdue(
                    engine._collection_line_domain(today, company_customers)
                )
                claimable.update((move, overdue[move]) for move in company_moves)
            credits = engine._collection_credits(company_customers, today)
            mailing = self.env["collection.stage"].search(
                [("company_id", "=", company.id), ("mail_template_id", "!=", False)]
            )
            claimable_by_partner = defaultdict(list)
            for move in claimable:
                claimable_by_partner[move.commercial_partner_id].append(move)
            owed = {}  # customer -> (its invoices to remind, the credit that pays each)
            for partner, group in company_moves.grouped("commercial_partner_id").items():
                parts = credits[partner].split(claimable_by_partner[partner], claimable)
                # As in the daily run, the invoices the credits pay are not claimed.
                group = group.browse([m.id for m in engine._collection_owed(group, overdue, parts)])
                if group:
                    owed[partner] = (group, parts)
                else:
                    covered |= partner
            # Disputed and payment-plan invoices bear no finance charge, chosen or not; the
            # others bear it on what the credits leave of them.
            charged = engine._collection_overdue(
                [
                    ("move_id", "in", company_moves.ids),
                    *engine._collection_collected_line_domain(today),
                ]
            )
            charges = engine.env["collection.finance.charge"]._collection_uncharged(
                company_moves.browse([move.id for move in charged]),
                today,
                parts={move: part for _g, parts in owed.values() for move, part in parts.items()},
            )
            for partner, (group, parts) in owed.items():
                stage = self.with_company(company)._collection_send_now_stage(group, mailing)
                vals = engine._collection_claim_vals(
                    partner, "reminder", group, overdue, parts, today, stage, charges
                )
                reminders.append((engine, group, vals))
        if covered:
            self._collection_refuse_nothing_to_remind(reminded, covered)
        return reminders
