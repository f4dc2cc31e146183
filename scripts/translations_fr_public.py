"""French texts of the public pages (merged by fill_translations.py)."""

N = "\u00a0"  # the no-break space French puts before : ; ! ? and inside « »

FR = {
    "30 days of the Professional plan, no card needed. Your space is ready in a few seconds.":
        "30 jours de l’offre Professionnel, sans carte bancaire. Votre espace est prêt en "
        "quelques secondes.",
    "Accessibility: partially compliant": f"Accessibilité{N}: partiellement conforme",
    "or %(y)s a year": "ou %(y)s par an",
    "Request a demo": "Demander une démonstration",
    "A Fullmobs programme dashboard: people mobilised, hours given, attendance and each "
    "campaign’s progress towards its target.":
        f"Le tableau de bord d’un programme Fullmobs{N}: personnes mobilisées, heures données, "
        "présence et avancement de chaque campagne vers son objectif.",
    "A programme's dashboard, as a CSR manager sees it.":
        "Le tableau de bord d’un programme, tel que le voit une personne chargée de la RSE.",
    "What Fullmobs gives you": "Ce que Fullmobs vous apporte",
    "Pricing": "Tarifs",
    "Every plan starts with a free %(days)s-day trial, no card needed. Prices exclude VAT.":
        "Chaque offre commence par un essai gratuit de %(days)s jours, sans carte bancaire. "
        "Prix hors taxes.",
    "All prices and paid options": "Tous les tarifs et les options payantes",
    "See it with your own programme": "Voyez-le avec votre propre programme",
    "A Fullmobs consultant shows you the product on a programme like yours, or prepares an "
    "offer for your organisation.":
        "Un consultant Fullmobs vous montre l’outil sur un programme comme le vôtre, ou "
        "prépare une offre pour votre structure.",
    "Every plan starts with a free %(days)s-day trial, no card needed. Prices are per "
    "organisation and exclude VAT, which is added at the rate that applies to you.":
        "Chaque offre commence par un essai gratuit de %(days)s jours, sans carte bancaire. "
        "Les prix s’entendent par structure et hors taxes, la TVA s’ajoutant au taux qui "
        "vous est applicable.",
    "Add them to any plan, and stop them at the end of a billing period.":
        "Ajoutez-les à n’importe quelle offre et arrêtez-les à la fin d’une période de "
        "facturation.",
    "Ready when you are": "Quand vous voulez",
    "Try it yourself, or let us show you and prepare an offer (a quote payable by bank "
    "transfer, as public buyers need).":
        "Essayez par vous-même, ou laissez-nous vous le montrer et préparer une offre (un "
        "devis payable par virement, comme il le faut aux acheteurs publics).",
    "Too many requests from your connection: please try again in an hour, or write to us "
    "by e-mail.":
        f"Trop de demandes depuis votre connexion{N}: réessayez dans une heure, ou écrivez-nous "
        "par e-mail.",
    "Request a demo or an offer": "Demander une démonstration ou une offre",
    "Tell us who you are and what you need: a Fullmobs consultant replies by e-mail within "
    "two working days.":
        f"Dites-nous qui vous êtes et ce qu’il vous faut{N}: un consultant Fullmobs vous répond "
        "par e-mail sous deux jours ouvrés.",
    "We use these details only to answer your request.":
        "Nous n’utilisons ces informations que pour répondre à votre demande.",
    "Thank you": "Merci",
    "Thank you, your request is on its way": "Merci, votre demande est bien partie",
    "A Fullmobs consultant will reply by e-mail within two working days to agree on a time "
    "for the demo or to send you an offer.":
        "Un consultant Fullmobs vous répondra par e-mail sous deux jours ouvrés pour convenir "
        "d’un moment pour la démonstration ou vous envoyer une offre.",
    "In the meantime, you can try Fullmobs for free: your space is ready in a few seconds.":
        f"En attendant, vous pouvez essayer Fullmobs gratuitement{N}: votre espace est prêt en "
        "quelques secondes.",
    "Back to the home page": "Retour à l’accueil",
    # The accessibility statement (RGAA).
    "Accessibility statement": "Déclaration d’accessibilité",
    "Fullmobs is committed to making its service accessible, in line with article 47 of "
    "French law no. 2005-102 of 11 February 2005. This statement covers the Fullmobs public "
    "site, the organisations' spaces (dashboards, programmes, campaigns, reports, billing) "
    "and the participants' pages (joining a campaign, their own page, check-in).":
        "Fullmobs s’engage à rendre son service accessible, conformément à l’article 47 de la "
        "loi n° 2005-102 du 11 février 2005. Cette déclaration s’applique au site public de "
        "Fullmobs, aux espaces des structures (tableaux de bord, programmes, campagnes, "
        "rapports, facturation) et aux pages des participants (inscription à une campagne, "
        "page personnelle, pointage).",
    "Compliance status": "État de conformité",
    "Fullmobs is partially compliant with the French accessibility framework RGAA 4.1.2 "
    "(WCAG 2.1 level AA).":
        "Fullmobs est partiellement conforme avec le RGAA 4.1.2 (référentiel général "
        "d’amélioration de l’accessibilité, WCAG 2.1 niveau AA).",
    "No complete audit against the framework's criteria has been carried out yet, so we "
    "cannot give a compliance rate.":
        "Aucun audit complet sur les critères du référentiel n’a encore été réalisé\u00a0: nous "
        "ne pouvons donc pas indiquer de taux de conformité.",
    "What was tested": "Ce qui a été testé",
    "Automated checks with axe-core 4.14 on every page our end-to-end tests visit (public "
    "site, sign-up, dashboard, programmes, campaigns, reports, billing, participants' "
    "pages), in French and English, at a phone width (390 px) and a desktop width "
    "(1,366 px): these tests fail on any violation of serious or critical impact.":
        "Des vérifications automatiques avec axe-core 4.14 sur chaque page que parcourent nos "
        "tests de bout en bout (site public, inscription, tableau de bord, programmes, "
        "campagnes, rapports, facturation, pages des participants), en français et en "
        f"anglais, sur une largeur de téléphone (390{N}px) et d’ordinateur (1{N}366{N}px)"
        f"{N}: ces tests échouent à la moindre violation d’impact sérieux ou critique.",
    "The same tests check that no page scrolls sideways at phone width, and that the public "
    "pages' headings follow each other in order.":
        "Les mêmes tests vérifient qu’aucune page ne défile horizontalement sur un téléphone, "
        "et que les titres des pages publiques se suivent dans l’ordre.",
    "Not tested yet: screen readers (NVDA, JAWS, VoiceOver), page zoom up to four times, "
    "keyboard-only use of every page, and a manual review of every RGAA criterion.":
        f"Pas encore testé{N}: les lecteurs d’écran (NVDA, JAWS, VoiceOver), le zoom jusqu’à "
        "quatre fois, l’usage de chaque page au clavier seul et la revue manuelle de chaque "
        "critère du RGAA.",
    "Content that is not accessible yet": "Contenus non encore accessibles",
    "PDF impact reports are not yet checked as accessible documents (PDF/UA); ask us for "
    "the same figures in an accessible format.":
        "Les rapports d’impact PDF ne sont pas encore vérifiés comme documents accessibles "
        f"(PDF/UA){N}; demandez-nous les mêmes chiffres dans un format accessible.",
    "Charts are pictures drawn by the server: the figures they show are on the same page as "
    "text, but a chart does not yet describe its trend in words.":
        f"Les graphiques sont des images dessinées par le serveur{N}: les chiffres qu’ils "
        "montrent figurent en texte sur la même page, mais un graphique ne décrit pas encore "
        "sa tendance en mots.",
    "Texts, pictures and logos that organisations add to their own campaigns are under "
    "their responsibility.":
        "Les textes, images et logos que les structures ajoutent à leurs campagnes relèvent de "
        "leur responsabilité.",
    "How this statement was made": "Établissement de cette déclaration",
    "This statement was written on 29 November 2026. Technologies the service relies on: "
    "HTML, CSS, SVG and a little JavaScript (HTMX). Test environment: Chromium (desktop and "
    "phone sizes) with axe-core.":
        f"Cette déclaration a été établie le 29 novembre 2026. Technologies utilisées{N}: "
        f"HTML, CSS, SVG et un peu de JavaScript (HTMX). Environnement de test{N}: Chromium "
        "(tailles ordinateur et téléphone) avec axe-core.",
    "Feedback and contact": "Retour d’information et contact",
    "If you cannot use a page or a service of Fullmobs, tell us and we will give you the "
    "information in another form, or fix the page. Write to <a "
    "href=\"mailto:%(email)s\">%(email)s</a>; we answer within five working days.":
        "Si vous ne pouvez pas utiliser une page ou un service de Fullmobs, signalez-le-nous "
        "et nous vous donnerons l’information sous une autre forme, ou corrigerons la page. "
        f"Écrivez à <a href=\"mailto:%(email)s\">%(email)s</a>{N}; nous répondons sous cinq "
        "jours ouvrés.",
    "Remedies": "Voies de recours",
    "If you told us about an accessibility problem and did not get a satisfying answer, "
    "you can:":
        "Si vous nous avez signalé un défaut d’accessibilité et n’avez pas obtenu de réponse "
        f"satisfaisante, vous pouvez{N}:",
    "write a message to the Défenseur des droits (the French rights defender) through its "
    "online form, defenseurdesdroits.fr;":
        "écrire un message au Défenseur des droits par son formulaire en ligne, "
        f"defenseurdesdroits.fr{N};",
    "contact the Défenseur des droits' delegate in your region;":
        f"contacter le délégué du Défenseur des droits dans votre région{N};",
    "send a letter, free of postage, to: Défenseur des droits, Libre réponse 71120, 75342 "
    "Paris CEDEX 07, France.":
        f"envoyer un courrier, sans affranchissement{N}: Défenseur des droits, Libre réponse "
        "71120, 75342 Paris CEDEX 07.",
}
