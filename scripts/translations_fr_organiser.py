"""French texts of the organiser pages (merged by fill_translations.py)."""

NB = "\u00a0"  # before : ; ! ? and %, as French typography wants

FR = {
    # The campaign page, on site.
    "Only a no-show can be undone.": "Seule une absence peut être annulée.",
    "%(counter)s pledge matches “%(query)s”.": (
        "%(counter)s engagement correspond à « %(query)s ».",
        "%(counter)s engagements correspondent à « %(query)s »."),
    "Show all": "Tout afficher",
    "Nobody matches this search.": "Personne ne correspond à cette recherche.",
    "%(hours)s h": "%(hours)s h",
    "Undo no-show": "Annuler l’absence",
    "place offered": ("place offerte", "places offertes"),
    "confirmed pledges checked in": "engagements confirmés pointés",
    "Campaign actions": "Actions sur la campagne",
    "Preview the public page": "Prévisualiser la page publique",
    "See the public page": "Voir la page publique",
    "Check-in poster": "Affiche de pointage",
    "Only your organisation's members can see the public page while the campaign is a "
    "draft: check it before opening.":
        "Tant que la campagne est un brouillon, seuls les membres de votre organisation "
        f"voient sa page publique{NB}: vérifiez-la avant de l’ouvrir.",
    "Campaign page:": f"Page de la campagne{NB}:",
    "Search a participant by name or e-mail": "Chercher un participant par nom ou e-mail",
    "Name or e-mail": "Nom ou e-mail",
    "Share the campaign": "Partager la campagne",
    "Address of the campaign page": "Adresse de la page de la campagne",
    "Address copied.": "Adresse copiée.",
    "Copy the address": "Copier l’adresse",
    "Share…": "Partager…",
    "QR code of the campaign page": "QR code de la page de la campagne",
    "Download this QR code": "Télécharger ce QR code",
    "A message to paste in an e-mail, the intranet or a chat":
        "Un message à coller dans un e-mail, l’intranet ou une messagerie",
    "Message copied.": "Message copié.",
    "Copy the message": "Copier le message",
    "Check-in on the day": "Le pointage, le jour J",
    "On site, people scan this code with their phone to check in; you can also check them "
    "in from the list above.":
        f"Sur place, chacun scanne ce code avec son téléphone pour pointer{NB}; vous pouvez "
        "aussi pointer les personnes depuis la liste ci-dessus.",
    "Print the check-in poster": "Imprimer l’affiche de pointage",
    "Download the check-in QR code (SVG)": "Télécharger le QR code de pointage (SVG)",
    "%(label)s:": f"%(label)s{NB}:",
    "Its time slots offer %(counter)s place in all.": (
        "Ses créneaux offrent %(counter)s place en tout.",
        "Ses créneaux offrent %(counter)s places en tout."),
    "The target is more than the places offered: add time slots or places, or lower the "
    "target.":
        f"L’objectif dépasse les places offertes{NB}: ajoutez des créneaux ou des places, ou "
        "baissez l’objectif.",
    "The target (%(target)s people) is more than the %(places)s place offered: add time "
    "slots or places, or lower the target.": (
        f"L’objectif (%(target)s personnes) dépasse la %(places)s place offerte{NB}: ajoutez "
        "des créneaux ou des places, ou baissez l’objectif.",
        f"L’objectif (%(target)s personnes) dépasse les %(places)s places offertes{NB}: "
        "ajoutez des créneaux ou des places, ou baissez l’objectif."),
    "The campaign is open: share its address with the share kit below.":
        f"La campagne est ouverte{NB}: partagez son adresse avec le kit de partage "
        "ci-dessous.",
    "Check-in: %(title)s": f"Pointage{NB}: %(title)s",
    # The ready-to-paste message, in the organisation's language.
    "Join us for “%(title)s” on %(date)s, %(place)s.":
        "Rejoignez-nous pour « %(title)s » le %(date)s, %(place)s.",
    "Join us for “%(title)s” on %(date)s.": "Rejoignez-nous pour « %(title)s » le %(date)s.",
    "We need %(count)s person by %(deadline)s: give a few hours of your time.": (
        f"Il nous faut %(count)s personne d’ici le %(deadline)s{NB}: donnez quelques heures "
        "de votre temps.",
        f"Il nous faut %(count)s personnes d’ici le %(deadline)s{NB}: donnez quelques heures "
        "de votre temps."),
    "Sign up here: %(url)s": f"Inscrivez-vous ici{NB}: %(url)s",
    # The check-in poster.
    "Check-in poster: %(title)s": f"Affiche de pointage{NB}: %(title)s",
    "Print it on A4 and put it up where people arrive: they scan the code with their "
    "phone to check in. It is written in your organisation's language.":
        f"Imprimez-la en A4 et affichez-la à l’arrivée{NB}: chacun scanne le code avec son "
        "téléphone pour pointer. Elle est rédigée dans la langue de votre organisation.",
    "Print the poster": "Imprimer l’affiche",
    "Poster": "Affiche",
    "You are here? Check in!": f"Vous êtes là{NB}? Pointez votre présence{NB}!",
    "Open your phone's camera and point it at the code.":
        "Ouvrez l’appareil photo de votre téléphone et visez le code.",
    "Tap the link that appears.": "Touchez le lien qui s’affiche.",
    "Enter the e-mail address you pledged with: your hours are counted.":
        f"Saisissez l’adresse e-mail de votre inscription{NB}: vos heures sont comptées.",
    "No phone at hand? Give your name to an organiser.":
        f"Pas de téléphone sous la main{NB}? Donnez votre nom à un organisateur.",
    # Programmes and templates.
    "Methodology: %(name)s, version of %(date)s":
        f"Méthodologie{NB}: %(name)s, version du %(date)s",
    "Methodology: %(name)s": f"Méthodologie{NB}: %(name)s",
    "A newer version of this methodology, of %(date)s, is available.":
        "Une version plus récente de cette méthodologie, du %(date)s, est disponible.",
    "A newer version of this methodology is available.":
        "Une version plus récente de cette méthodologie est disponible.",
    "Version of %(date)s": "Version du %(date)s",
    "The dates follow the template's typical duration (%(days)s day): change the start "
    "date and the others move with it.": (
        f"Les dates suivent la durée type de la fiche (%(days)s jour){NB}: changez la date "
        "de début, les autres suivent.",
        f"Les dates suivent la durée type de la fiche (%(days)s jours){NB}: changez la date "
        "de début, les autres suivent."),
    # Settings and sign-up.
    "Give at most %(n)s domains.": "Indiquez au plus %(n)s domaines.",
    "“%(domain)s” is not an e-mail domain (for example: acme.com).":
        f"« %(domain)s » n’est pas un domaine d’e-mail (par exemple{NB}: acme.com).",
    "“%(domain)s” is a public e-mail service: anyone can have an address there, so it "
    "cannot open internal campaigns.":
        f"« %(domain)s » est une messagerie publique{NB}: n’importe qui peut y avoir une "
        "adresse, il ne peut donc pas ouvrir les campagnes internes.",
    "Your space will be at %(host)s": "Votre espace sera à l’adresse %(host)s",
    "E-mail domains of your people": "Domaines e-mail de vos équipes",
    "People with an address at these domains (for example acme.com, acme.fr) may join "
    "your internal campaigns after confirming their address. Separate them with commas. "
    "Public services such as gmail.com are refused.":
        "Les personnes ayant une adresse à ces domaines (par exemple acme.com, acme.fr) "
        "peuvent rejoindre vos campagnes internes après avoir confirmé leur adresse. "
        "Séparez-les par des virgules. Les messageries publiques comme gmail.com sont "
        "refusées.",
    # First-run guidance.
    "Get started": "Pour bien démarrer",
    "%(done)s of %(total)s steps done.": f"Étapes faites{NB}: %(done)s sur %(total)s.",
    "done": "fait",
    "Choose a methodology template": "Choisir une fiche-modèle de la méthodologie",
    "Create a campaign with its time slots": "Créer une campagne et ses créneaux",
    "Open it and share its address": "L’ouvrir et partager son adresse",
    "Invite colleagues to run it with you": "Inviter des collègues à la mener avec vous",
}
