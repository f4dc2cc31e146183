"""French texts of joining with a known address, anonymous-form throttles and large
parties awaiting approval (merged by fill_translations.py)."""

NB = "\u00a0"  # before : ; ! ? and %, as French typography wants

FR = {
    # Joining with an address already known: no space opened, the e-mail carries the link.
    "Thank you! Your pledge is recorded. Check your e-mail: the message we have just sent "
    "has your personal link to see or change it.":
        f"Merci{NB}! Votre engagement est enregistré. Consultez vos e-mails{NB}: le message "
        "que nous venons d’envoyer contient votre lien personnel pour le voir ou le "
        "modifier.",
    # Throttles of anonymous forms.
    "Too many requests for this campaign at the moment: please try again in a few minutes.":
        f"Trop de demandes pour cette campagne en ce moment{NB}: réessayez dans quelques "
        "minutes.",
    "Too many requests at the moment: please try again in a few minutes.":
        f"Trop de demandes en ce moment{NB}: réessayez dans quelques minutes.",
    "Too many requests from your connection: please try again later.":
        f"Trop de demandes depuis votre connexion{NB}: réessayez plus tard.",
    # Large parties.
    "Thank you! Groups this large are confirmed by the organisers: your group holds no "
    "place until they approve it, and you will be told by e-mail.":
        f"Merci{NB}! Les organisateurs confirment eux-mêmes les groupes de cette taille{NB}: "
        "votre groupe ne prend aucune place tant qu’ils ne l’ont pas accepté, et vous serez "
        "prévenu par e-mail.",
    "Awaiting the organisers’ approval: %(start)s – %(end)s":
        f"En attente de l’accord des organisateurs{NB}: %(start)s – %(end)s",
    "A group with more than %(n)s person coming with you waits for the organisers’ "
    "approval.": (
        "Un groupe de plus de %(n)s personne avec vous attend l’accord des organisateurs.",
        "Un groupe de plus de %(n)s personnes avec vous attend l’accord des organisateurs."),
    "Awaiting approval": "En attente d’accord",
    "companions without approval": "accompagnants sans accord",
    "Companions without approval": "Accompagnants sans accord",
    "A larger group waits for an organiser's approval before it takes places.":
        "Un groupe plus grand attend l’accord d’un organisateur avant de prendre des "
        "places.",
    "A participant bringing more people than this waits for your approval (on the "
    "campaign page) before their group takes places.":
        "Un participant qui vient avec plus de personnes attend votre accord (sur la page "
        "de la campagne) avant que son groupe prenne des places.",
    "Between 0 and %(max)s companions.": "Entre 0 et %(max)s accompagnants.",
    "This pledge is not awaiting approval.": "Cet engagement n’attend pas d’accord.",
    "Approve the group": "Accepter le groupe",
    "Decline": "Refuser",
    "The group is declined: it holds no place.":
        f"Le groupe est refusé{NB}: il ne prend aucune place.",
    "The group is approved and has its places.":
        "Le groupe est accepté et a ses places.",
    "The group is approved; the slot is full, so it is on the waiting list.":
        f"Le groupe est accepté{NB}; le créneau est complet, il passe donc sur la liste "
        "d’attente.",
}
