from . import collection_pause
from . import collection_call_wizard
from . import account_move_reversal
