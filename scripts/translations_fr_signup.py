"""French texts of sign-up verification, reserved addresses, the access log and who sees
what of a participant (merged by fill_translations.py)."""

FR = {
    # Sign-up: the owner's address
    "Confirm your e-mail address to use your Fullmobs space":
        "Confirmez votre adresse e-mail pour utiliser votre espace Fullmobs",
    "Hello,": "Bonjour,",
    "Someone, probably you, created a Fullmobs space with this e-mail address. Open this link "
    "to confirm the address and use the space fully:":
        "Quelqu’un, sans doute vous, a créé un espace Fullmobs avec cette adresse e-mail. "
        "Ouvrez ce lien pour confirmer l’adresse et utiliser pleinement l’espace\u00a0:",
    "Without confirmation, the space and its data are deleted after %(days)s day.": (
        "Sans confirmation, l’espace et ses données sont supprimés au bout de "
        "%(days)s\u00a0jour.",
        "Sans confirmation, l’espace et ses données sont supprimés au bout de "
        "%(days)s\u00a0jours."),
    "If you did not ask for it, ignore this message.":
        "Si vous ne l’avez pas demandé, ignorez ce message.",
    "This link is invalid or has expired.": "Ce lien est invalide ou a expiré.",
    "Your e-mail address is already confirmed.": "Votre adresse e-mail est déjà confirmée.",
    "Only an owner can confirm the space's address.":
        "Seul un propriétaire peut confirmer l’adresse de l’espace.",
    "Confirm your e-mail address first: open the link we sent you (or send it again from "
    "the banner).":
        "Confirmez d’abord votre adresse e-mail\u00a0: ouvrez le lien que nous vous avons "
        "envoyé (ou renvoyez-le depuis le bandeau).",
    "Check your e-mail: open the link we sent to confirm your address. Until then you can "
    "look around, but not open a campaign, invite colleagues or subscribe.":
        "Consultez vos e-mails\u00a0: ouvrez le lien que nous avons envoyé pour confirmer "
        "votre adresse. D’ici là, vous pouvez découvrir l’espace, mais pas ouvrir de "
        "campagne, inviter de collègues ni vous abonner.",
    "Send the link again": "Renvoyer le lien",
    "We sent the link again to %(email)s.": "Nous avons renvoyé le lien à %(email)s.",
    "Address confirmed": "Adresse confirmée",
    "Thank you: the space of %(name)s is ready for campaigns, colleagues and billing.":
        "Merci\u00a0: l’espace de %(name)s est prêt pour les campagnes, les collègues et "
        "l’abonnement.",
    "Go to my space": "Aller à mon espace",
    "This link is no longer valid": "Ce lien n’est plus valable",
    "It is incomplete or has expired. Log in to your space and send the confirmation link "
    "again from the banner at the top of the page.":
        "Il est incomplet ou a expiré. Connectez-vous à votre espace et renvoyez le lien de "
        "confirmation depuis le bandeau en haut de la page.",
    "owner's e-mail verified": "e-mail du propriétaire confirmé",
    # Consultants and the access log
    "Consultants cannot invite: ask an owner or a manager of the organisation.":
        "Les consultants ne peuvent pas inviter\u00a0: demandez à un propriétaire ou à un "
        "gestionnaire de la structure.",
    "Only an owner can end an accompaniment.":
        "Seul un propriétaire peut mettre fin à un accompagnement.",
    "This consultant does not accompany your organisation.":
        "Ce consultant n’accompagne pas votre structure.",
    "The accompaniment has ended: this consultant can no longer enter your space.":
        "L’accompagnement est terminé\u00a0: ce consultant ne peut plus entrer dans votre "
        "espace.",
    "Who entered your space": "Qui est entré dans votre espace",
    "Who entered your space (consultants and Fullmobs staff)":
        "Qui est entré dans votre espace (consultants et équipe Fullmobs)",
    "Fullmobs consultants and staff enter a client's space only as consultants assigned to "
    "it; each visit is written here.":
        "Les consultants et l’équipe Fullmobs n’entrent dans l’espace d’un client qu’en tant "
        "que consultants affectés à celui-ci\u00a0; chaque visite est inscrite ici.",
    "Consultants accompanying you": "Consultants qui vous accompagnent",
    "Consultant": "Consultant",
    "Since": "Depuis",
    "Action": "Action",
    "End the accompaniment": "Mettre fin à l’accompagnement",
    "No consultant accompanies your organisation at the moment.":
        "Aucun consultant n’accompagne votre structure en ce moment.",
    "Visits": "Visites",
    "When": "Quand",
    "Who": "Qui",
    "First page opened": "Première page ouverte",
    "Network address": "Adresse réseau",
    "Fullmobs staff": "équipe Fullmobs",
    "Nobody from Fullmobs has entered your space.":
        "Personne de Fullmobs n’est entré dans votre espace.",
    # Who sees what of a participant
    "Participant %(row)s": "Participant n°\u00a0%(row)s",
}
