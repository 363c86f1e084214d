def post_init_hook(env):
    """Give every company that exists at install time its own copy of the default ladder."""
    env["res.company"].search([])._collection_ensure_ladder()
