"""The hazards a complaint is classified by — one list for the case model, the filters, the
statistics and the classifier (which must not need the database, hence a module of its own)."""
from django.utils.translation import gettext_lazy as _

HAZARDS = (
    ("fire", _("fire")),
    ("electric_shock", _("electric shock")),
    ("burn", _("burn or scald")),
    ("cut", _("cut or laceration")),
    ("choking", _("choking or suffocation")),
    ("poisoning", _("poisoning")),
    ("chemical", _("chemical (harmful substances)")),
    ("mechanical", _("mechanical failure")),
    ("false_labelling", _("false or misleading labelling")),
    ("none", _("no safety hazard")),
)
