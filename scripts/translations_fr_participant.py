"""French texts of the participant pages (merged by fill_translations.py)."""

NB = "\u00a0"  # before : ; ! ? and %, as French typography wants

FR = {
    # The campaign page.
    "%(name)s invited you to give some of your time to this action.":
        "%(name)s vous invite à donner un peu de votre temps à cette action.",
    "You are in: %(start)s – %(end)s": f"Vous participez{NB}: %(start)s – %(end)s",
    "On the waiting list: %(start)s – %(end)s":
        f"Sur la liste d’attente{NB}: %(start)s – %(end)s",
    "Cancel…": "Annuler…",
    "Manage my pledges": "Gérer mes engagements",
    "Choose another time slot": "Choisir un autre créneau",
    "%(n)s place left": ("%(n)s place restante", "%(n)s places restantes"),
    "full: waiting list": f"complet{NB}: liste d’attente",
    "Places are counted for you and each person coming with you. If your group is larger "
    "than the places left in a time slot, you go on that slot's waiting list.":
        "Les places comptent pour vous et pour chaque personne qui vous accompagne. Si "
        "votre groupe dépasse les places restantes d’un créneau, vous passez sur la liste "
        "d’attente de ce créneau.",
    "Your group is larger than the places left in a chosen time slot: for that slot you "
    "will be on the waiting list, and told as soon as places free up.":
        f"Votre groupe dépasse les places restantes d’un créneau choisi{NB}: pour ce "
        "créneau, vous serez sur la liste d’attente et prévenu dès que des places se "
        "libèrent.",
    # Sharing a personal link.
    "Share": "Partager",
    "Copy the link": "Copier le lien",
    "The link is copied: paste it in a message.":
        f"Le lien est copié{NB}: collez-le dans un message.",
    "The link is selected: copy it with your device’s menu.":
        f"Le lien est sélectionné{NB}: copiez-le avec le menu de votre appareil.",
    # The participant's own page.
    "%(n)s person is coming with you.": ("%(n)s personne vient avec vous.",
                                         "%(n)s personnes viennent avec vous."),
    "%(n)s person joined through your link.": (
        "%(n)s personne a rejoint l’action grâce à votre lien.",
        "%(n)s personnes ont rejoint l’action grâce à votre lien."),
    "Hours given: %(h)s.": f"Heures données{NB}: %(h)s.",
    "With %(n)s companion.": ("Avec %(n)s accompagnant.", "Avec %(n)s accompagnants."),
    "Just you.": "Sans accompagnant.",
    "See the campaign": "Voir l’action",
    "Cancel this pledge…": "Annuler cet engagement…",
    # Cancelling.
    "Cancel my pledge": "Annuler mon engagement",
    "Cancel your pledge?": f"Annuler votre engagement{NB}?",
    "Your place, and those of the people coming with you, will go to the next people on "
    "the waiting list.":
        "Votre place, et celles des personnes qui vous accompagnent, iront aux personnes "
        "suivantes sur la liste d’attente.",
    "You will leave the waiting list for this time slot.":
        "Vous quitterez la liste d’attente de ce créneau.",
    "Keep my pledge": "Garder mon engagement",
    "Yes, cancel my pledge": "Oui, annuler mon engagement",
    "Back to the campaign": "Retour à l’action",
    # E-mails and unsubscribing.
    "E-mails": "E-mails",
    "You will no longer receive reminders or news of future actions. Your pledges stay as "
    "they are.":
        "Vous ne recevrez plus de rappels ni de nouvelles des prochaines actions. Vos "
        "engagements restent tels quels.",
    "Back to my pledges": "Retour à mes engagements",
    # A link to an action that is not there (or not open yet).
    "If someone sent you this link for an action, the action may not be open yet: try "
    "again later, or ask them for a new link.":
        f"Si l’on vous a envoyé ce lien pour une action, elle n’est peut-être pas encore "
        f"ouverte{NB}: réessayez plus tard, ou demandez un nouveau lien.",
}
