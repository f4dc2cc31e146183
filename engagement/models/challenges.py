"""Team challenges: teams compete toward a goal over a period and a set of campaigns."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import language, other

from ..bilingual import LocalizedText, main_language
from .campaigns import Campaign
from .programmes import Programme

# The largest goal a challenge may set (people or hours): far above any organisation's
# year, low enough that a typing slip (an extra zero or three) is refused.
CHALLENGE_GOAL_MAX = 1_000_000


class TeamChallenge(models.Model):
    """A challenge between teams: each team's people mobilised, or hours given, on the
    campaigns it covers (those chosen; else every campaign of its programme; else every
    campaign), counting the slots that take place between ``starts_on`` and ``ends_on``.
    Every team races toward the same ``goal``; standings rank them by the measure."""

    class Measure(models.TextChoices):
        PEOPLE = "people", _("People who took part")
        HOURS = "hours", _("Hours given")

    # The name in French (the organisation's usual language) and, optional, in English;
    # ``localized_name`` gives the reader's, or the other one marked as such.
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("name in English"), max_length=150, blank=True,
                               default="")
    description_fr = models.TextField(_("description in French"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    measure = models.CharField(_("measured by"), max_length=10, choices=Measure.choices,
                               default=Measure.PEOPLE)
    goal = models.PositiveIntegerField(
        _("goal per team"),
        validators=[MinValueValidator(1), MaxValueValidator(CHALLENGE_GOAL_MAX)])
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="team_challenges",
                                  verbose_name=_("programme"))
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="team_challenges",
                                       verbose_name=_("campaigns"))
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0) & Q(goal__lte=CHALLENGE_GOAL_MAX),
                                   name="challenge_goal_in_range"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="challenge_ends_after_start"),
            models.CheckConstraint(condition=Q(measure__in=["people", "hours"]),
                                   name="challenge_measure_known"),
        ]

    def __str__(self) -> str:
        return self.name

    def localized_name(self, lang: str | None = None) -> LocalizedText:
        """The name in ``lang`` (the active language by default); the other language's,
        marked as a fallback, when it has none (a name in English is optional)."""
        wanted = main_language(language(lang))
        names = {"fr": self.name, "en": self.name_en}
        if names[wanted].strip():
            return LocalizedText(names[wanted], wanted, wanted)
        fallback = other(wanted)
        return LocalizedText(names[fallback], fallback, wanted)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None
