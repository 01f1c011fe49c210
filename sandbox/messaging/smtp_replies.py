"""Every SMTP reply line, in French and safe to send.

aiosmtpd writes its own protocol replies in English; `french` translates each one it can
produce (same code, an enhanced status code added) and `safe` makes any reply one line of
printable text: a reason that quotes a message (an attachment's name, METADATA.XML) can never
put a CR or LF into the reply and so desynchronise the client.
"""

from __future__ import annotations

import re

from sandbox.messaging.submission import too_big_reason

FIXED = {
    "235 2.7.0 Authentication successful": "235 2.7.0 Authentification réussie",
    "220 Ready to start TLS": "220 2.0.0 Prêt pour TLS",
    "221 Bye": "221 2.0.0 Au revoir",
    "250 OK": "250 2.0.0 OK",
    "530 Must issue a STARTTLS command first":
        "530 5.7.0 Connexion non chiffrée : envoyez STARTTLS d'abord (MSSanté n'accepte que TLS)",
    "530 5.7.0 Authentication required":
        "530 5.7.0 Authentification requise : identifiez-vous (AUTH PLAIN ou LOGIN) avec votre "
        "persona et son mot de passe avant d'envoyer",
    "538 5.7.11 Encryption required for requested authentication mechanism":
        "538 5.7.11 Chiffrement requis : envoyez STARTTLS avant AUTH",
    "500 Line too long (see RFC5321 4.5.3.1.6)":
        "500 5.5.2 Ligne trop longue (plus de 1000 octets, RFC 5321 §4.5.3.1.6) : encodez le "
        "message en base64 ou quoted-printable, avec des fins de ligne CRLF",
    "500 Command line too long": "500 5.5.2 Commande trop longue",
    "500 Error: bad syntax": "500 5.5.2 Commande vide ou illisible",
    "500 Error: strict ASCII mode": "500 5.5.2 Caractères non ASCII refusés dans cette commande",
    "503 Error: send EHLO first": "503 5.5.1 Présentez-vous d'abord (EHLO)",
    "503 Error: send HELO first": "503 5.5.1 Présentez-vous d'abord (HELO)",
    "504 5.5.4 Unrecognized authentication type":
        "504 5.5.4 Mécanisme d'authentification inconnu (PLAIN, LOGIN ou EXTERNAL)",
    "503 Error: need MAIL command": "503 5.5.1 Commande MAIL FROM attendue d'abord",
    "503 Error: need RCPT command": "503 5.5.1 Aucun destinataire : commande RCPT TO attendue",
    "503 Error: nested MAIL command":
        "503 5.5.1 MAIL FROM déjà donné : terminez ce message ou envoyez RSET",
    "503 Already authenticated": "503 5.5.1 Déjà authentifié",
    "535 5.7.8 Authentication credentials invalid":
        "535 5.7.8 Identifiant ou mot de passe incorrect pour ce bac à sable",
    "554 Command refused due to lack of security":
        "554 5.7.0 Commande refusée : la négociation TLS a échoué",
    "454 TLS not available": "454 4.7.0 TLS indisponible",
    "500 Error: command 'AUTH' not recognized": "500 5.5.1 AUTH n'est proposé qu'après EHLO",
    "501 Not enough value": "501 5.5.4 AUTH : précisez le mécanisme (PLAIN, LOGIN ou EXTERNAL)",
    "501 Too many values": "501 5.5.4 AUTH : trop d'arguments",
    "501 5.7.0 Auth aborted": "501 5.7.0 Authentification abandonnée",
    "501 5.5.2 Can't decode base64": "501 5.5.2 Réponse illisible : base64 attendu",
    "501 5.5.2 Can't split auth value":
        "501 5.5.2 AUTH PLAIN mal formé : attendu identité NUL identifiant NUL mot de passe",
    "553 5.1.3 Error: malformed address": "553 5.1.3 Adresse mal formée",
    "501 Error: BODY can only be one of 7BIT, 8BITMIME":
        "501 5.5.4 BODY n'accepte que 7BIT ou 8BITMIME",
    "501 Error: SMTPUTF8 takes no arguments": "501 5.5.4 SMTPUTF8 ne prend pas d'argument",
    "501 Error: SMTPUTF8 disabled": "501 5.5.4 SMTPUTF8 n'est pas proposé",
    "555 MAIL FROM parameters not recognized or not implemented":
        "555 5.5.4 Paramètre de MAIL FROM non pris en charge (SIZE, BODY et SMTPUTF8 le sont)",
    "555 RCPT TO parameters not recognized or not implemented":
        "555 5.5.4 Paramètre de RCPT TO non pris en charge (aucun ne l'est)",
    "502 EXPN not implemented": "502 5.5.1 EXPN non proposé : consultez l'Annuaire Santé",
    "252 Cannot VRFY user, but will accept message and attempt delivery":
        "252 2.5.0 Vérification d'adresse non proposée : consultez l'Annuaire Santé",
    "502 5.5.1 Too many unrecognized commands, goodbye.":
        "502 5.5.1 Trop de commandes inconnues : au revoir",
    "354 End data with <CR><LF>.<CR><LF>":
        "354 Envoyez le message, terminé par une ligne ne contenant qu'un point",
}
TOO_BIG = ("552 Error: message size exceeds fixed maximum message size",
           "552 Error: Too much mail data")
# Replies aiosmtpd builds with a value in them: (pattern, French template).
PATTERNS = [
    (re.compile(r'500 Error: command "(.{0,20}).*" not recognized'),
     r"500 5.5.1 Commande « \1 » inconnue"),
    (re.compile(r"421 4\.7\.0 (\S{0,20}).* sent too many times"),
     r"421 4.7.0 Commande \1 envoyée trop de fois : au revoir"),
    (re.compile(r"502 Could not VRFY .*"), "502 5.5.2 Adresse illisible"),
    (re.compile(r"250 Supported commands: (.*)"), r"250 Commandes disponibles : \1"),
    (re.compile(r"501 Supported commands: (.*)"), r"501 5.5.4 Commandes disponibles : \1"),
    (re.compile(r"250 Syntax: (.*)"), r"250 Syntaxe : \1"),
    (re.compile(r"501 Syntax: (.*)"), r"501 5.5.4 Syntaxe : \1"),
]
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def french(status: str, size_limit: int | None) -> str:
    """aiosmtpd's reply `status` in French (replies of our own pass unchanged)."""
    if status in TOO_BIG:
        return f"552 5.3.4 {too_big_reason(size_limit or 0)}"
    if status in FIXED:
        return FIXED[status]
    for pattern, template in PATTERNS:
        if pattern.fullmatch(status):
            return pattern.sub(template, status)
    return status


def safe(status: str) -> str:
    """One line of text: control characters (CR, LF, NUL…) become a space, and what is not
    valid Unicode (undecodable bytes of a command) a replacement mark."""
    text = _UNSAFE.sub(" ", status).strip()
    return text.encode("utf-8", "replace").decode("utf-8")


def reply(status: str, size_limit: int | None) -> str:
    return safe(french(status, size_limit))
