"""French texts of the lead's fixes across areas (merged by fill_translations.py)."""

FR = {
    # What a message's placeholders stand for, on the programme page
    "your organisation's name": "le nom de votre structure",
    "the programme's name": "le nom du programme",
    "the campaign's title": "le titre de la campagne",
    "the person's first name": "le prénom de la personne",
    "the date of the action": "la date de l’action",
    "the time of the action": "l’heure de l’action",
    "the place": "le lieu",
    "the target": "l’objectif",
    "the number of people mobilised": "le nombre de personnes mobilisées",
    "the places left": "les places restantes",
    "the mobilisation deadline": "la date limite de mobilisation",
    "the campaign's link": "le lien de la campagne",
    "the person's hours given": "les heures données par la personne",
    "everyone's hours given": "les heures données par tous",
    "the impact measured": "l’impact mesuré",
    "the survey's link": "le lien du questionnaire",
    "the unsubscribe link": "le lien de désinscription",
    "the first name of who invites": "le prénom de la personne qui invite",
    # Campaign list
    "Target": "Objectif",
    "%(target)s person": ("%(target)s\u00a0personne", "%(target)s\u00a0personnes"),
    # Billing: the plan's limits are limits, not usage
    "running programmes at most": "programmes en cours au maximum",
    "participants at most": "participants au maximum",
    # Programme page: which version of the methodology
    "Methodology: %(name)s, version %(number)s of %(date)s":
        "Méthodologie\u00a0: %(name)s, version %(number)s du %(date)s",
    "Version %(number)s of this methodology, of %(date)s, is available.":
        "La version %(number)s de cette méthodologie, du %(date)s, est disponible.",
    # Funnel charts: the share of which step
    "%(label)s (%(share)s of “%(first)s”)": "%(label)s (%(share)s de «\u00a0%(first)s\u00a0»)",
    # After a demo or offer request
    "A Fullmobs consultant will reply by e-mail within two working days with an offer: a quote you can sign or pay by bank transfer.":
        "Un consultant Fullmobs vous répondra par e-mail sous deux jours ouvrés avec une offre\u00a0: un devis à signer ou à régler par virement.",
    "A Fullmobs consultant will reply by e-mail within two working days to agree on a time for the demo.":
        "Un consultant Fullmobs vous répondra par e-mail sous deux jours ouvrés pour convenir d’un moment pour la démonstration.",
    # Sign-up with an address that already has an account
    "Check your e-mail": "Consultez vos e-mails",
    "We sent a message to %(email)s. Open the link it carries to take charge of your new space.":
        "Nous avons envoyé un message à %(email)s. Ouvrez le lien qu’il contient pour prendre en main votre nouvel espace.",
    "The link is valid for 7 days. Without it, the space is deleted.":
        "Le lien est valable 7\u00a0jours. Sans lui, l’espace est supprimé.",
}
