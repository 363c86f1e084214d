from . import collection_stage
from . import collection_event
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_move
from . import mail_activity
from . import collection_engine
