"""French texts of check-in: the on-site page, the participant's personal check-in code, the
organisers' check-in page and companions to confirm (merged by fill_translations.py)."""

NB = "\u00a0"  # before : ; ! ? and %, as French typography wants

FR = {
    # Services.
    "Enter how many companions came, between 0 and %(count)s.":
        "Indiquez combien d’accompagnants sont venus, entre 0 et %(count)s.",
    "This action is over: its pledges can no longer be cancelled.":
        f"Cette action est passée{NB}: ses engagements ne peuvent plus être annulés.",
    # The on-site page (the poster's QR code).
    "Welcome %(name)s! You are checked in.":
        f"Bienvenue %(name)s{NB}! Votre présence est pointée.",
    "An organiser will confirm your companion on site.": (
        "Un organisateur confirmera sur place la présence de votre accompagnant.",
        "Un organisateur confirmera sur place la présence de vos %(n)s accompagnants."),
    "Check in as %(name)s": "Pointer ma présence (%(name)s)",
    "Your companions are counted when an organiser sees them: say hello to one of them "
    "together.":
        f"Vos accompagnants sont comptés quand un organisateur les voit{NB}: allez le "
        "saluer ensemble.",
    "You have no time slot of this action taking place now: check-in opens two hours "
    "before your time slot.":
        f"Aucun de vos créneaux de cette action n’a lieu maintenant{NB}: le pointage ouvre "
        "deux heures avant votre créneau.",
    "To check in with this code, open your personal link (in your confirmation e-mail) on "
    "this phone, then scan the code again.":
        "Pour pointer avec ce code, ouvrez votre lien personnel (dans votre e-mail de "
        "confirmation) sur ce téléphone, puis scannez le code à nouveau.",
    "No link at hand? Show your check-in code to an organiser, or give them your name.":
        f"Pas de lien sous la main{NB}? Montrez votre code de pointage à un organisateur, "
        "ou donnez-lui votre nom.",
    # The participant's own page.
    "Your check-in code": "Votre code de pointage",
    "Your check-in code: %(code)s": f"Votre code de pointage{NB}: %(code)s",
    "Check-in code %(code)s": "Code de pointage %(code)s",
    "On site, scan the check-in poster with this phone, or show this code to an organiser.":
        "Sur place, scannez l’affiche de pointage avec ce téléphone, ou montrez ce code à "
        "un organisateur.",
    # The organisers' check-in page and pledge list.
    "Check-in": "Pointage",
    "Scan a participant's personal code with your phone's camera, or type the code they "
    "show you.":
        "Scannez le code personnel d’un participant avec l’appareil photo de votre "
        "téléphone, ou tapez le code qu’il vous montre.",
    "Check-in code": "Code de pointage",
    "Find": "Chercher",
    "Companions present": "Accompagnants présents",
    "Confirm the companions": "Confirmer les accompagnants",
    "Already checked in.": "Présence déjà pointée.",
    "This pledge is not confirmed: it cannot be checked in.":
        f"Cet engagement n’est pas confirmé{NB}: il ne peut pas être pointé.",
    "No pledge of this campaign has this check-in code: check the code.":
        f"Aucun engagement de cette campagne n’a ce code de pointage{NB}: vérifiez le code.",
    "%(name)s is checked in.": "Présence de %(name)s pointée.",
    "%(n)s companion to confirm": ("%(n)s accompagnant à confirmer",
                                   "%(n)s accompagnants à confirmer"),
    "Companions of %(name)s present": "Accompagnants de %(name)s présents",
    "Put this code up on site: people who opened their personal link on their phone scan "
    "it to check themselves in (their companions wait for you to confirm them). Scan or "
    "type a participant's personal check-in code on the check-in page, or check people in "
    "from the list above.":
        f"Affichez ce code sur place{NB}: les personnes qui ont ouvert leur lien personnel "
        "sur leur téléphone le scannent pour pointer leur présence (leurs accompagnants "
        "attendent votre confirmation). Scannez ou tapez le code de pointage personnel "
        "d’un participant sur la page de pointage, ou pointez les présences depuis la "
        "liste ci-dessus.",
    "Open the check-in page": "Ouvrir la page de pointage",
    # The poster.
    "Tap “Check in”: the page knows you if you opened your personal link (from your "
    "confirmation e-mail) on this phone.":
        f"Touchez «{NB}Pointer ma présence{NB}»{NB}: la page vous reconnaît si vous avez "
        "ouvert votre lien personnel (dans votre e-mail de confirmation) sur ce téléphone.",
    "No phone or no link at hand? Show your check-in code or give your name to an "
    "organiser.":
        f"Pas de téléphone ou pas de lien sous la main{NB}? Montrez votre code de pointage "
        "ou donnez votre nom à un organisateur.",
}
