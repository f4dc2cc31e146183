"""French texts of logins and sessions (lockout, two-factor, sessions), merged by
fill_translations.py."""

NBSP = "\u00a0"

FR = {
    "%(count)s minute": ("%(count)s\u00a0minute", "%(count)s\u00a0minutes"),
    "%(count)s hour": ("%(count)s\u00a0heure", "%(count)s\u00a0heures"),
    "Too many failed attempts for this e-mail address from your connection. For your "
    "security, try again in %(wait)s or reset your password.":
        "Trop de tentatives échouées pour cette adresse e-mail depuis votre connexion. Pour "
        "votre sécurité, réessayez dans %(wait)s ou réinitialisez votre mot de passe.",
    "Your session has ended: please log in again.":
        f"Votre session a pris fin{NBSP}: veuillez vous reconnecter.",
    "Two-factor authentication is required: finish logging in in your browser.":
        f"La double authentification est obligatoire{NBSP}: terminez la connexion dans "
        "votre navigateur.",
    "Code from your authenticator app": "Code de votre application d’authentification",
    "Enter the six digits your app shows.":
        "Saisissez les six chiffres qu’affiche votre application.",
    "This code is not valid. Check the time on your phone and enter the code your app "
    "shows now.":
        "Ce code n’est pas valide. Vérifiez l’heure de votre téléphone et saisissez le code "
        "qu’affiche votre application maintenant.",
    "Your password": "Votre mot de passe",
    "This password is not right.": "Ce mot de passe n’est pas le bon.",
    "Require two-factor authentication for this organisation":
        "Exiger la double authentification dans cette organisation",
    "Every member then needs an authenticator app (a six-digit code at login). Members "
    "without one are asked to set it up before entering.":
        "Chaque membre a alors besoin d’une application d’authentification (un code à six "
        "chiffres à la connexion). Ceux qui n’en ont pas doivent la configurer avant "
        "d’entrer.",
    "require two-factor authentication": "exiger la double authentification",
    "Members without an authenticator app are asked to set one up before entering.":
        "Les membres sans application d’authentification doivent en configurer une avant "
        "d’entrer.",
    "login session": "session de connexion",
    "login sessions": "sessions de connexion",
    "Two-factor authentication is on: from now on you log in with your password and a code "
    "from your app.":
        f"La double authentification est activée{NBSP}: vous vous connectez désormais avec "
        "votre mot de passe et un code de votre application.",
    "QR code to scan with your authenticator app":
        "QR code à scanner avec votre application d’authentification",
    "Two-factor authentication is required for your account: it cannot be turned off.":
        f"La double authentification est obligatoire pour votre compte{NBSP}: elle ne peut "
        "pas être désactivée.",
    "Two-factor authentication is off.": "La double authentification est désactivée.",
    "Your other sessions are logged out.": "Vos autres sessions sont déconnectées.",
    "You had no other session.": "Vous n’aviez pas d’autre session.",
    "Your password is changed. Your other sessions are logged out.":
        "Votre mot de passe est changé. Vos autres sessions sont déconnectées.",
    "Two-factor authentication is now required for every member.":
        "La double authentification est désormais obligatoire pour chaque membre.",
    "Two-factor authentication is now up to each member.":
        "La double authentification est désormais au choix de chaque membre.",
    "Check the fields.": "Vérifiez les champs.",
    "The e-mail address or the password is not right.":
        "L’adresse e-mail ou le mot de passe n’est pas le bon.",
    "Set up two-factor authentication in your browser first.":
        "Configurez d’abord la double authentification dans votre navigateur.",
    "The code of your authenticator app is missing or not valid.":
        "Le code de votre application d’authentification manque ou n’est pas valide.",
    "Two-factor authentication": "Double authentification",
    "Open your authenticator app and enter the code it shows for Fullmobs.":
        "Ouvrez votre application d’authentification et saisissez le code qu’elle affiche "
        "pour Fullmobs.",
    "Confirm": "Confirmer",
    "Set up two-factor authentication": "Configurer la double authentification",
    "Your account needs a second factor: a code from an authenticator app on your phone, "
    "asked at each login. Set it up now to continue.":
        f"Votre compte a besoin d’un second facteur{NBSP}: un code d’une application "
        "d’authentification sur votre téléphone, demandé à chaque connexion. Configurez-le "
        "maintenant pour continuer.",
    "Install an authenticator app on your phone (for example FreeOTP, Aegis, Google "
    "Authenticator or Microsoft Authenticator).":
        "Installez une application d’authentification sur votre téléphone (par exemple "
        "FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator).",
    "Scan this QR code with the app:": f"Scannez ce QR code avec l’application{NBSP}:",
    "or type this key into it:": f"ou saisissez-y cette clé{NBSP}:",
    "Enter the six-digit code the app shows.":
        "Saisissez le code à six chiffres qu’affiche l’application.",
    "Turn on two-factor authentication": "Activer la double authentification",
    "Confirm your password": "Confirmez votre mot de passe",
    "For your security, enter your password again before this change.":
        "Pour votre sécurité, saisissez de nouveau votre mot de passe avant cette "
        "modification.",
    "Change your password": "Changer votre mot de passe",
    "Your other sessions will be logged out.": "Vos autres sessions seront déconnectées.",
    "Change the password": "Changer le mot de passe",
    "Back to security": "Retour à la sécurité",
    "Back to settings": "Retour aux réglages",
    "Security": "Sécurité",
    "On: you log in with your password and a code from your authenticator app.":
        f"Activée{NBSP}: vous vous connectez avec votre mot de passe et un code de votre "
        "application d’authentification.",
    "Turn off two-factor authentication": "Désactiver la double authentification",
    "Off: your password alone opens your account.":
        f"Désactivée{NBSP}: votre mot de passe seul ouvre votre compte.",
    "Require it for every member of %(name)s": "L’exiger pour chaque membre de %(name)s",
    "Password": "Mot de passe",
    "Your sessions": "Vos sessions",
    "A session ends after %(idle)s minutes without activity, and %(hours)s hour after "
    "logging in.": (
        "Une session prend fin après %(idle)s minutes sans activité, et %(hours)s heure "
        "après la connexion.",
        "Une session prend fin après %(idle)s minutes sans activité, et %(hours)s heures "
        "après la connexion."),
    "Device": "Appareil",
    "Address": "Adresse",
    "Site": "Site",
    "Last seen": "Dernière activité",
    "this session": "cette session",
    "Log out the other sessions": "Déconnecter les autres sessions",
}
