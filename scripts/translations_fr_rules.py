"""French texts of the rules held on every write (bounded numbers, logos), merged by
fill_translations.py."""

FR = {
    "Enter a number no larger than %(limit)s.":
        "Saisissez un nombre qui ne dépasse pas %(limit)s.",
    "The logo must be at most %(side)s × %(side)s pixels.":
        "Le logo doit mesurer au plus %(side)s × %(side)s pixels.",
}
