"""``makemessages`` that also finds the project's short aliases of gettext.

Some modules import ``gettext_lazy`` as ``_lazy`` / ``_l`` or ``gettext`` as ``_g`` (beside a
``_`` of the other kind); without these keywords xgettext would drop their strings from the
catalog on every run.
"""
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options,
                        "--keyword=_lazy", "--keyword=_l", "--keyword=_g"]
