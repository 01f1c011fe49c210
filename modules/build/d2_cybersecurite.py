"""D2 « La cybersécurité en santé »: the notebooks of the assignment d2_cybersecurite."""

from __future__ import annotations

from santelab.course.authoring import NotebookBuilder

INTRO_TESTS = '''
Chaque exercice se termine par une cellule de tests : les tests visibles vous disent si
vous êtes sur la bonne voie ; d'autres tests, cachés, servent à la note finale.
Toutes les données (courriels, personnes, traces) sont **fictives**.
'''


def menaces() -> NotebookBuilder:
    nb = NotebookBuilder("d2-01")
    nb.md(f'''
    # D2 · Notebook 1 — Menaces sur les soins et bonnes pratiques

    **Compétences travaillées**
    - **D2.1** Connaître les menaces sur les soins : rançongiciels, hameçonnage, vol de compte,
      fuites de données ; pourquoi les hôpitaux sont des cibles
    - **D2.2** Appliquer les bonnes pratiques : authentification forte (CPS / e-CPS), mots de
      passe, sessions, supports amovibles, mises à jour

    **Durée estimée : 2 h 15** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante. Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code('''
    import math
    import string

    try:
        import pandas as pd
    except ImportError:
        print("⚠️  La bibliothèque pandas est introuvable : dans un terminal, à la racine du "
              "projet santelab, lancez `pip install -e .` puis redémarrez le noyau.")
    else:
        print("Prêt : vous pouvez commencer.")
    ''')
    nb.md('''
    ## 1. Les menaces
    Les établissements de santé sont des cibles de choix : leurs systèmes doivent fonctionner
    **jour et nuit** (la pression pour payer une rançon est forte), ils détiennent des
    **données de santé** revendables ou utilisables pour du chantage, leur parc informatique est
    vaste et hétérogène (équipements biomédicaux anciens, nombreux prestataires), et des milliers
    de personnes s'y connectent, souvent depuis des postes partagés.

    Les principales menaces :
    - **rançongiciel** : un logiciel malveillant chiffre les fichiers et les serveurs, puis une
      rançon est demandée (souvent avec menace de publier les données volées) ;
    - **hameçonnage** (*phishing*) : un message imite un expéditeur de confiance pour faire
      cliquer, ouvrir une pièce jointe ou saisir des identifiants ;
    - **vol de compte** : un attaquant utilise les identifiants d'un professionnel (mot de passe
      deviné, réutilisé ou volé, session restée ouverte) ;
    - **fuite de données** : des données sortent de l'établissement sans autorisation (erreur
      d'envoi, support perdu, exfiltration) ;
    - **déni de service** : un service est submergé de requêtes et devient inaccessible.
    ''')
    nb.md('''
    ## Exercice 1 — Reconnaître la menace (15 min)
    Pour chaque situation, donnez la menace **principale** parmi `"rancongiciel"`,
    `"hameconnage"`, `"vol_de_compte"`, `"fuite_de_donnees"`, `"deni_de_service"`.
    ''')
    nb.classify(
        "d2-01-menaces", items="situations", answer="menace", choices="MENACES",
        preamble='MENACES = {"rancongiciel", "hameconnage", "vol_de_compte", "fuite_de_donnees", "deni_de_service"}',
        entries=[
            ("Un courriel « Mise à jour de votre messagerie » demande de saisir son mot de passe sur un lien", "hameconnage"),
            ("Tous les fichiers du serveur de radiologie portent l'extension .locked et un fichier LISEZ-MOI réclame des bitcoins", "rancongiciel"),
            ("Le dossier d'un patient a été consulté à 3 h du matin avec l'identifiant d'une infirmière en congé", "vol_de_compte"),
            ("Une clé USB non chiffrée contenant la liste des patients de dialyse a été perdue dans le train", "fuite_de_donnees"),
            ("Le site de prise de rendez-vous ne répond plus : des millions de requêtes arrivent de toutes parts", "deni_de_service"),
            ("Un SMS prétendant venir de l'Assurance maladie invite à « mettre à jour sa carte Vitale » via un lien", "hameconnage"),
            ("Un tableau de résultats de biologie a été envoyé par erreur à une adresse de messagerie personnelle externe", "fuite_de_donnees"),
        ],
        each="Donnez une menace pour chaque situation, sans en ajouter.",
        hints='''
        assert menace[situations[1]] == "rancongiciel", "Des fichiers chiffrés et une rançon : c'est un rançongiciel."
        ''',
        points=2, competencies=["D2.1"], minutes=15)
    nb.md('''
    ## Exercice 2 — Pourquoi les hôpitaux ? (10 min)
    Parmi les affirmations ci-dessous, lesquelles sont **vraies** ? Mettez leurs lettres dans
    l'ensemble `vraies` (par exemple `{"A", "C"}`).

    - **A.** Un hôpital ne peut pas arrêter son activité : la pression pour payer une rançon est forte.
    - **B.** Les données de santé ont de la valeur pour les attaquants (revente, chantage).
    - **C.** Les hôpitaux n'intéressent pas les attaquants car ils n'ont pas d'argent.
    - **D.** Des équipements biomédicaux anciens, difficiles à mettre à jour, sont reliés au réseau.
    - **E.** Un antivirus à jour suffit à empêcher toute attaque par hameçonnage.
    - **F.** De nombreux prestataires et partenaires sont connectés au système d'information.
    - **G.** Une attaque informatique n'a pas de conséquence sur la sécurité des patients.
    ''')
    nb.answer("d2-01-cibles", '''
    ### BEGIN SOLUTION
    vraies = {"A", "B", "D", "F"}
    ### END SOLUTION
    ''')
    nb.tests("d2-01-cibles-tests", '''
    assert isinstance(vraies, set), "`vraies` est un ensemble de lettres, par exemple {\\"A\\", \\"C\\"}."
    assert vraies <= set("ABCDEFG"), "Seules les lettres A à G sont possibles."
    assert "G" not in vraies, "Une panne informatique retarde des soins : la sécurité des patients est en jeu."
    ### BEGIN HIDDEN TESTS
    assert vraies == {"A", "B", "D", "F"}
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.1"], minutes=10)
    nb.md('''
    ## 2. Les mots de passe
    La force d'un mot de passe **tiré au hasard** s'estime par son **entropie**, en bits :
    $E = L \\times \\log_2(N)$, où $L$ est la longueur et $N$ la taille de l'alphabet utilisé.
    On compte ici l'alphabet d'après les familles de caractères présentes dans le mot de passe :
    26 pour les minuscules (`string.ascii_lowercase`), 26 pour les majuscules, 10 pour les
    chiffres, et 33 si le mot de passe contient au moins un autre caractère (ponctuation,
    espace, lettre accentuée…).

    L'ANSSI classe la force ainsi : moins de 64 bits **très faible**, de 64 à moins de 80 bits
    **faible**, de 80 à moins de 100 bits **moyenne**, 100 bits et plus **forte**. La CNIL
    demande au moins 80 bits quand le mot de passe est le seul facteur d'authentification.
    Attention : un mot de passe construit à partir d'un mot connu (« Hopital2024! ») est bien
    plus faible que son entropie théorique, car les attaquants essaient d'abord les
    dictionnaires.
    ''')
    nb.md('''
    ## Exercice 3 — Calculer l'entropie (20 min)
    Écrivez `entropie(mot_de_passe)` qui renvoie l'entropie en bits (un `float`) selon la règle
    ci-dessus. Un mot de passe vide a une entropie de 0.
    ''')
    nb.answer("d2-01-entropie", '''
    def entropie(mot_de_passe: str) -> float:
        ### BEGIN SOLUTION
        alphabet = 0
        if any(c in string.ascii_lowercase for c in mot_de_passe):
            alphabet += 26
        if any(c in string.ascii_uppercase for c in mot_de_passe):
            alphabet += 26
        if any(c in string.digits for c in mot_de_passe):
            alphabet += 10
        if any(c not in string.ascii_letters + string.digits for c in mot_de_passe):
            alphabet += 33
        if not mot_de_passe:
            return 0.0
        return len(mot_de_passe) * math.log2(alphabet)
        ### END SOLUTION
    ''')
    nb.tests("d2-01-entropie-tests", '''
    assert abs(entropie("azerty") - 6 * math.log2(26)) < 1e-9, "« azerty » : 6 minuscules, alphabet de 26."
    assert abs(entropie("Azerty12") - 8 * math.log2(62)) < 1e-9, "Minuscules + majuscules + chiffres : 62."
    assert entropie("") == 0, "Un mot de passe vide a une entropie nulle."
    ### BEGIN HIDDEN TESTS
    assert abs(entropie("a1!") - 3 * math.log2(69)) < 1e-9
    assert abs(entropie("Été") - 3 * math.log2(26 + 33)) < 1e-9
    assert abs(entropie("1234") - 4 * math.log2(10)) < 1e-9
    assert abs(entropie("mot de passe") - 12 * math.log2(59)) < 1e-9
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.2"], minutes=20)
    nb.md('''
    ## Exercice 4 — Juger un mot de passe (25 min)
    Écrivez `force(mot_de_passe, mots_interdits)` qui renvoie `"tres_faible"`, `"faible"`,
    `"moyenne"` ou `"forte"` selon les seuils de l'ANSSI, **sauf** si le mot de passe contient
    (sans tenir compte des majuscules) un des `mots_interdits` : alors il est `"tres_faible"`
    quelle que soit son entropie.
    ''')
    nb.code('''
    MOTS_INTERDITS = ["hopital", "password", "azerty", "123456", "soleil", "santelab"]
    ''')
    nb.answer("d2-01-force", '''
    def force(mot_de_passe: str, mots_interdits: list[str]) -> str:
        ### BEGIN SOLUTION
        minuscule = mot_de_passe.lower()
        if any(mot.lower() in minuscule for mot in mots_interdits):
            return "tres_faible"
        bits = entropie(mot_de_passe)
        if bits < 64:
            return "tres_faible"
        if bits < 80:
            return "faible"
        if bits < 100:
            return "moyenne"
        return "forte"
        ### END SOLUTION
    ''')
    nb.tests("d2-01-force-tests", '''
    assert force("Tr0mb0n3!", MOTS_INTERDITS) == "tres_faible", "9 caractères : environ 59 bits."
    assert force("HOPITAL-Nord-2024-urgences", MOTS_INTERDITS) == "tres_faible", (
        "Le mot de passe contient « hopital » (en majuscules) : il est très faible."
    )
    assert force("k7#Vq2!mZ9@xW4&pL8$r", MOTS_INTERDITS) == "forte", "20 caractères variés : plus de 100 bits."
    ### BEGIN HIDDEN TESTS
    assert force("abcdefghijklm", []) == "tres_faible"
    assert force("abcdefghijklmn", []) == "faible"
    assert force("abcdefghijklmnopq", []) == "faible"
    assert force("Xq7Lm2Rt9Vb4Nc8K", []) == "moyenne"
    assert force("Xq7Lm2Rt9Vb4Nc8Kd", []) == "forte"
    assert force("Xq7Lm2Rt9Vb4Nc8KdSOLEIL", MOTS_INTERDITS) == "tres_faible"
    assert force("Xq7Lm2Rt9Vb4Nc8KdSOLEIL", []) == "forte"
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.2"], minutes=25)
    nb.md('''
    ## 3. Sessions, cartes et supports
    La **carte CPS** (ou l'**e-CPS**, son équivalent sur smartphone) est un moyen
    d'**authentification forte** : il faut à la fois posséder la carte ou le téléphone et
    connaître le code. Chaque action faite avec une carte est tracée au nom de son titulaire :
    la prêter, c'est signer pour quelqu'un d'autre.
    ''')
    nb.md('''
    ## Exercice 5 — Bonne ou mauvaise pratique ? (15 min)
    Pour chaque pratique, indiquez `True` si c'est une bonne pratique, `False` sinon.
    ''')
    nb.classify(
        "d2-01-pratiques", items="pratiques", answer="bonne_pratique",
        entries=[
            ("verrouiller sa session (Windows + L) avant de quitter le poste, même pour deux minutes", True),
            ("prêter sa carte CPS et son code à l'interne pour qu'il puisse prescrire pendant la garde", False),
            ("brancher sur le poste du service une clé USB trouvée sur le parking pour retrouver son propriétaire", False),
            ("installer les mises à jour proposées par le service informatique sans les repousser indéfiniment", True),
            ("noter son mot de passe sur un post-it collé sous le clavier", False),
            ("utiliser un mot de passe différent pour chaque service", True),
            ("se connecter à un téléservice avec son e-CPS plutôt qu'avec un mot de passe", True),
            ("réutiliser le mot de passe de sa messagerie personnelle pour le dossier patient informatisé", False),
            ("signaler au service informatique un comportement inhabituel de son poste", True),
        ],
        each="Donnez une réponse pour chaque pratique, sans en ajouter.",
        hints='''
        assert bonne_pratique[pratiques[1]] is False, (
            "Une carte CPS est personnelle : tout ce qui est fait avec elle est tracé au nom de son titulaire."
        )
        ''',
        points=2, competencies=["D2.2"], minutes=15)
    nb.md('''
    ## Exercice 6 — La session partagée (20 min)
    Dans votre service, un poste reste connecté toute la journée sur la session d'un médecin
    « pour gagner du temps » : infirmiers, externes et secrétaires l'utilisent. Expliquez en
    quelques phrases les risques de cette pratique et ce que vous proposez à la place.
    ''')
    nb.free_text("d2-01-session-partagee", rubric=[
        (1, "Traçabilité : les actions sont attribuées au médecin, on ne sait plus qui a fait quoi "
            "(responsabilité, enquête en cas d'erreur ou d'accès abusif)."),
        (1, "Confidentialité et droits : chacun accède à ce que son rôle ne permet pas (droits du "
            "médecin), accès possible par une personne non autorisée ; porte ouverte au vol de compte."),
        (1, "Propose une solution : session nominative pour chacun, authentification forte "
            "(CPS / e-CPS), verrouillage automatique, changement rapide d'utilisateur."),
    ], solution='''
    La session partagée détruit la **traçabilité** : toutes les consultations et prescriptions
    sont enregistrées au nom du médecin, qui en porte la responsabilité ; en cas d'erreur ou
    d'accès abusif à un dossier, on ne peut pas savoir qui a agi. Elle donne aussi à chacun les
    **droits du médecin** (prescrire, lire des documents que son profil ne permet pas de voir),
    et n'importe quelle personne passant devant le poste peut y accéder : c'est l'équivalent d'un
    vol de compte permanent. À la place : une session **nominative** pour chaque professionnel,
    une authentification forte par carte CPS ou e-CPS, le verrouillage automatique du poste et
    une solution de changement rapide d'utilisateur (badge, carte) pour ne pas perdre de temps.
    ''', competencies=["D2.2"], minutes=20)
    return nb


SETUP_BOITE = '''
import random
from datetime import datetime, timedelta
from urllib.parse import urlparse

try:
    import pandas as pd
except ImportError:
    print("⚠️  La bibliothèque pandas est introuvable : dans un terminal, à la racine du "
          "projet santelab, lancez `pip install -e .` puis redémarrez le noyau.")

# Domaines de confiance de l'établissement fictif « CH Exemple ».
DOMAINES_DE_CONFIANCE = ["mssante.fr", "ch-exemple.fr", "esante.gouv.fr", "has-sante.fr", "ameli.fr"]


def hote(adresse: str) -> str:
    """Nom d'hôte d'une adresse web, même écrite sans « https:// » (en minuscules)."""
    if "://" not in adresse:
        adresse = "https://" + adresse
    return (urlparse(adresse).hostname or "").lower()


def ressemble_a_une_adresse(texte: str) -> bool:
    """Vrai si le texte affiché d'un lien ressemble à une adresse web (« www.x.fr », « https://… »)."""
    texte = texte.strip()
    return " " not in texte and "." in texte and not texte.endswith(".")


def m(id, expediteur, objet, corps, liens=(), pieces_jointes=()):
    return {"id": id, "expediteur": expediteur, "objet": objet, "corps": corps,
            "liens": list(liens), "pieces_jointes": list(pieces_jointes)}


boite = [
    m("m01", "secretariat.cardio@ch-exemple.mssante.fr", "CR de consultation — Mme Bernard",
      "Bonjour, veuillez trouver ci-joint le compte rendu de consultation de votre patiente.",
      pieces_jointes=["IHE_XDM.ZIP"]),
    m("m02", "support@mssante-securite.com", "URGENT : votre boîte MSSanté sera suspendue",
      "Votre boîte sera suspendue ce soir. Confirmez votre identifiant et votre mot de passe.",
      liens=[("https://mssante.fr/connexion", "http://mssante.fr.connexion-securisee.com/login")]),
    m("m03", "dr.lemoine@medecin.mssante.fr", "Avis sur M. Petit",
      "Chère consœur, je vous adresse M. Petit pour avis sur son bilan lipidique. Bien à vous."),
    m("m04", "facturation@ameli-remboursement.fr", "Dernier rappel : remboursement en attente",
      "Un remboursement de 236,40 € est en attente. Ouvrez le relevé joint.",
      liens=[("Accéder à mon compte", "https://ameli-remboursement.fr/compte")],
      pieces_jointes=["releve_remboursement.html"]),
    m("m05", "contact@congres-cardio.org", "Programme du congrès de mars",
      "Le programme du congrès régional de cardiologie est en ligne.",
      liens=[("Voir le programme", "https://congres-cardio.org/programme")]),
    m("m06", "it-helpdesk@ch-exemple-fr.com", "Mise à jour obligatoire de votre poste",
      "Installez immédiatement le correctif joint, sinon votre poste sera bloqué.",
      pieces_jointes=["MiseAJour_Poste.exe"]),
    m("m07", "dsi@ch-exemple.fr", "Maintenance du dossier patient samedi",
      "Le dossier patient sera indisponible samedi de 6 h à 8 h. Rappel : la DSI ne vous "
      "demandera jamais votre mot de passe."),
    m("m08", "directeur@ch-exemple.fr.eu-mail.net", "Demande confidentielle",
      "J'ai besoin que vous m'envoyiez immédiatement la liste des patients hospitalisés. "
      "Ne prévenez personne, je suis en réunion."),
    m("m09", "pharmacie@ch-exemple.mssante.fr", "Rupture de stock amoxicilline",
      "La liste des alternatives est sur l'intranet.",
      liens=[("https://intranet.ch-exemple.fr/ruptures", "https://intranet.ch-exemple.fr/ruptures")]),
    m("m10", "no-reply@esante-gouv.fr.com", "Votre carte CPS expire",
      "Votre e-CPS expire demain : saisissez le code de votre carte pour la renouveler.",
      liens=[("https://esante.gouv.fr/e-cps", "https://esante-gouv.fr.com/e-cps")]),
]
print(f"Boîte de réception chargée : {len(boite)} messages.")
'''

SETUP_MSSANTE = '''
from santelab.course.student import StudentError, connect_personas

s, animateur, confrere, officine = connect_personas("medecin", "facilitateur", "medecin2",
                                                    "pharmacien")
ma_boite = s.mssante.address


def pieger(modele):
    animateur.admin.inject_mail(modele, to=ma_boite)


try:
    confrere.mssante.send(
        to=ma_boite, subject="Avis sur votre patient", body="Chère consœur, cher confrère, "
        "je vous retourne mon avis sur M. Petit : rien d'urgent, bilan dans trois mois.")
    pieger("faux-support-mssante")
    pieger("identifiants-e-cps")
    officine.mssante.send(
        to=ma_boite, subject="Rupture de stock", body="Bonjour, l'amoxicilline 1 g est en "
        "rupture : je propose de délivrer deux boîtes de 500 mg. Bien à vous.")
    pieger("resultats-piece-jointe")
except Exception as exc:
    raise StudentError(
        "Impossible de préparer la boîte MSSanté du bac à sable. Si vous utilisez un serveur "
        "(variable SANTELAB_URL), vérifiez qu'il est lancé (`santelab sandbox up`) ; sinon "
        f"redémarrez le noyau et réexécutez la cellule. Détail : {exc}") from None
print(f"Votre boîte MSSanté ({ma_boite}) contient {len(s.mssante.inbox())} message(s).")
'''

SETUP_JOURNAL = '''
# Trace d'audit fictive d'un dossier patient informatisé, la semaine du 16 novembre 2026.
# La graine fixe le tirage : tout le monde a la même trace.
rng = random.Random(2026)
personnel = pd.DataFrame([
    ("dr.martin", "medecin", "cardiologie"), ("inf.leroy", "infirmier", "cardiologie"),
    ("sec.dupuis", "secretaire", "cardiologie"), ("dr.benali", "medecin", "pneumologie"),
    ("inf.garnier", "infirmier", "pneumologie"), ("dr.roux", "medecin", "urgences"),
    ("inf.morel", "infirmier", "urgences"), ("inf.faure", "infirmier", "urgences"),
], columns=["persona", "role", "unite"])
unites = ["cardiologie", "pneumologie", "urgences"]
patients = pd.DataFrame({
    "patient": [f"pat-{i:03d}" for i in range(1, 37)],
    "unite": [unites[(i - 1) % 3] for i in range(1, 37)],
})
lignes = []
debut = datetime(2026, 11, 16)
equipe = list(personnel.itertuples(index=False, name=None))
for _ in range(420):
    persona, role, unite = rng.choice(equipe)
    patient = rng.choice(list(patients.loc[patients["unite"] == unite, "patient"]))
    de_jour = role == "secretaire" or rng.random() < 0.85
    heure = rng.randint(7, 20) if de_jour else rng.choice([22, 23, 0, 2, 4, 5])
    moment = debut + timedelta(days=rng.randint(0, 4), hours=heure, minutes=rng.randint(0, 59))
    lignes.append((moment, persona, rng.choice(["lecture", "lecture", "ecriture"]), patient, ""))
# (la suite de la trace)
consultes = ["pat-001", "pat-002", "pat-004", "pat-005", "pat-007", "pat-008", "pat-010"]
for minute, patient in zip([4, 9, 13, 18, 26, 31, 44], consultes, strict=True):
    lignes.append((datetime(2026, 11, 18, 1, minute), "inf.morel", "lecture", patient, ""))
lignes.append((datetime(2026, 11, 17, 14, 32), "dr.benali", "bris_de_glace", "pat-003",
               "détresse respiratoire aux urgences, patient inconscient"))
lignes.append((datetime(2026, 11, 19, 10, 5), "sec.dupuis", "bris_de_glace", "pat-002", ""))
journal = (pd.DataFrame(lignes, columns=["horodatage", "persona", "action", "patient", "motif"])
           .sort_values("horodatage").reset_index(drop=True))
print(f"Trace d'audit : {len(journal)} accès, {journal['persona'].nunique()} professionnels.")
journal.head()
'''


def detecter() -> NotebookBuilder:
    nb = NotebookBuilder("d2-02")
    nb.md(f'''
    # D2 · Notebook 2 — Détecter une attaque et réagir à un incident

    **Compétences travaillées**
    - **D2.3** Détecter une attaque : un courriel piège, un accès anormal dans une trace
      d'audit, un comportement inhabituel du système
    - **D2.4** Réagir à un incident : alerter, contenir, déclarer (procédure de l'établissement,
      CERT régional et national), préserver les preuves

    **Durée estimée : 3 h 10** (lecture comprise).
    {INTRO_TESTS}
    ''')
    nb.md('''
    ## Mise en route
    Exécutez la cellule suivante : elle charge la boîte de réception d'un médecin fictif du
    « CH Exemple ». Si un message ⚠️ s'affiche, suivez ce qu'il indique.
    ''')
    nb.code(SETUP_BOITE)
    nb.md('''
    ## 1. Trier une boîte de réception
    Chaque message est un dictionnaire : `id`, `expediteur`, `objet`, `corps`, `liens` (une liste
    de couples *(texte affiché, adresse réelle)*) et `pieces_jointes` (noms de fichiers).
    Regardez-en un :
    ''')
    nb.code('''
    boite[1]
    ''')
    nb.md('''
    ## Exercice 1 — Les indices d'hameçonnage (35 min)
    Écrivez `indices(message)` qui renvoie l'**ensemble** des indices présents parmi :
    - `"expediteur_externe"` : le domaine de l'expéditeur (après `@`, en minuscules) n'est
      **ni** un des `DOMAINES_DE_CONFIANCE` **ni** un de leurs sous-domaines
      (`ch-exemple.mssante.fr` est un sous-domaine de `mssante.fr` ;
      `mssante.fr.connexion-securisee.com` n'en est pas un) ;
    - `"lien_trompeur"` : un lien dont le texte affiché ressemble à une adresse
      (`ressemble_a_une_adresse`) mais dont l'hôte (`hote`) diffère de celui de l'adresse réelle ;
    - `"piece_jointe_dangereuse"` : une pièce jointe dont l'extension (en minuscules) est dans
      `EXTENSIONS_DANGEREUSES` ;
    - `"urgence"` : l'objet ou le corps contient (sans tenir compte des majuscules) un des
      `MOTS_URGENCE` ;
    - `"demande_identifiants"` : le corps contient (sans tenir compte des majuscules) un des
      `MOTS_IDENTIFIANTS`.

    Remarquez que `IHE_XDM.ZIP` n'est pas dangereuse : c'est le format normal d'un document
    patient envoyé par MSSanté.
    ''')
    nb.code('''
    EXTENSIONS_DANGEREUSES = {".exe", ".js", ".scr", ".vbs", ".bat", ".docm", ".xlsm", ".iso", ".html", ".htm"}
    MOTS_URGENCE = ["urgent", "immédiatement", "suspendu", "dernier rappel", "expire"]
    MOTS_IDENTIFIANTS = ["mot de passe", "identifiant", "code de votre carte"]
    ''')
    nb.answer("d2-02-indices", '''
    def indices(message: dict) -> set[str]:
        ### BEGIN SOLUTION
        trouves = set()
        domaine = message["expediteur"].rsplit("@", 1)[-1].lower()
        if not any(domaine == d or domaine.endswith("." + d) for d in DOMAINES_DE_CONFIANCE):
            trouves.add("expediteur_externe")
        for texte, adresse in message["liens"]:
            if ressemble_a_une_adresse(texte) and hote(texte) != hote(adresse):
                trouves.add("lien_trompeur")
        for nom in message["pieces_jointes"]:
            if "." in nom and "." + nom.rsplit(".", 1)[-1].lower() in EXTENSIONS_DANGEREUSES:
                trouves.add("piece_jointe_dangereuse")
        texte_complet = (message["objet"] + " " + message["corps"]).lower()
        if any(mot in texte_complet for mot in MOTS_URGENCE):
            trouves.add("urgence")
        if any(mot in message["corps"].lower() for mot in MOTS_IDENTIFIANTS):
            trouves.add("demande_identifiants")
        return trouves
        ### END SOLUTION
    ''')
    nb.tests("d2-02-indices-tests", '''
    par_id = {msg["id"]: msg for msg in boite}
    assert indices(par_id["m01"]) == set(), "m01 vient d'une adresse MSSanté du CH, sans lien : aucun indice."
    assert indices(par_id["m02"]) == {"expediteur_externe", "lien_trompeur", "urgence", "demande_identifiants"}, (
        "m02 : expéditeur externe, lien trompeur, urgence et demande d'identifiants."
    )
    assert "piece_jointe_dangereuse" in indices(par_id["m06"]), "Un .exe joint est dangereux."
    ### BEGIN HIDDEN TESTS
    assert indices(par_id["m08"]) == {"expediteur_externe", "urgence"}
    assert indices(par_id["m07"]) == {"demande_identifiants"}
    assert indices(par_id["m09"]) == set()
    assert indices(par_id["m05"]) == {"expediteur_externe"}
    assert indices(par_id["m04"]) == {"expediteur_externe", "piece_jointe_dangereuse", "urgence"}
    assert indices(par_id["m10"]) == {"expediteur_externe", "lien_trompeur", "urgence", "demande_identifiants"}
    piege = m("x", "a@MSSANTE.FR", "Info", "RAS", pieces_jointes=["Note.DOCM"],
              liens=[("www.ameli.fr", "https://ameli.fr.remboursement.io/")])
    assert indices(piege) == {"piece_jointe_dangereuse", "lien_trompeur"}
    ### END HIDDEN TESTS
    ''', points=4, competencies=["D2.3"], minutes=35)
    nb.md('''
    ## Exercice 2 — Quels messages signaler ? (15 min)
    Un indice isolé ne suffit pas (m07 parle de mot de passe… pour rappeler de ne jamais le
    donner). Relisez les messages qui ont **au moins deux indices** et mettez dans la liste
    `a_signaler` les `id` des messages d'hameçonnage, ceux que vous signaleriez au service
    informatique (dans une vraie messagerie : le bouton « Signaler », jamais un transfert).
    ''')
    nb.answer("d2-02-signaler", '''
    ### BEGIN SOLUTION
    a_signaler = [msg["id"] for msg in boite if len(indices(msg)) >= 2]
    ### END SOLUTION
    ''')
    nb.tests("d2-02-signaler-tests", '''
    assert isinstance(a_signaler, list), "`a_signaler` est une liste d'identifiants (\\"m01\\"…)."
    assert set(a_signaler) <= {msg["id"] for msg in boite}, "Des identifiants ne sont pas dans la boîte."
    assert "m02" in a_signaler, "m02 imite MSSanté pour voler un mot de passe."
    assert "m01" not in a_signaler, "m01 est un vrai compte rendu envoyé par MSSanté."
    ### BEGIN HIDDEN TESTS
    assert sorted(set(a_signaler)) == ["m02", "m04", "m06", "m08", "m10"]
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.3"], minutes=15)
    nb.md('''
    ## Dans votre boîte MSSanté du bac à sable
    L'animateur de l'exercice glisse maintenant des **messages pièges** dans votre vraie boîte
    MSSanté du bac à sable, au milieu de messages de collègues. Exécutez la cellule suivante.
    ''')
    nb.code(SETUP_MSSANTE)
    nb.md('''
    ## Exercice 3 — Signaler les pièges de votre boîte (25 min)
    Parcourez votre boîte (`s.mssante.inbox()` : une liste de résumés avec `id`, `sender`,
    `subject`, `flags` ; `s.mssante.read(id)` pour lire un message). **Signalez** avec
    `s.mssante.report(id)` chaque message dont l'expéditeur est **hors de l'espace de
    confiance** MSSanté (domaine qui n'est ni `mssante.fr` ni un de ses sous-domaines), et
    aucun autre. Rangez la liste des `id` signalés dans `signales`.

    Lisez aussi les messages signalés : quels autres indices y voyez-vous ?
    ''')
    nb.answer("d2-02-boite-reelle", '''
    ### BEGIN SOLUTION
    def dans_espace_de_confiance(adresse: str) -> bool:
        domaine = adresse.rsplit("@", 1)[-1].lower()
        return domaine == "mssante.fr" or domaine.endswith(".mssante.fr")


    signales = []
    for resume in s.mssante.inbox():
        if not dans_espace_de_confiance(resume.sender):
            s.mssante.report(resume.id)
            signales.append(resume.id)
    ### END SOLUTION
    signales
    ''')
    nb.tests("d2-02-boite-reelle-tests", '''
    boite_mss = s.mssante.inbox()
    marques = {m.id for m in boite_mss if "$Phishing" in m.flags}
    assert marques, "Aucun message n'est signalé : utilisez s.mssante.report(id)."
    collegues = {m.id for m in boite_mss if m.sender.lower().endswith(".mssante.fr")}
    assert not marques & collegues, "Vous avez signalé un message d'un collègue de l'espace de confiance."
    ### BEGIN HIDDEN TESTS
    pieges = {m.id for m in boite_mss if not m.sender.lower().endswith(".mssante.fr")}
    assert len(pieges) >= 3
    assert marques == pieges
    assert set(signales) == pieges
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.3"], minutes=25)
    nb.md('''
    ## 2. Lire une trace d'audit
    Chaque accès au dossier patient est tracé : qui, quand, quelle action, quel patient. Cette
    trace permet de détecter un **vol de compte** ou une **curiosité abusive**. Un professionnel
    n'accède normalement qu'aux patients de **son équipe de soins** (ici : son unité). L'accès
    en urgence (« **bris de glace** ») à un patient hors de l'équipe est permis, mais il doit
    être **justifié** par un motif, et il est tracé.
    ''')
    nb.code(SETUP_JOURNAL)
    nb.md('''
    ## Exercice 4 — Les accès hors de l'équipe de soins (25 min)
    Construisez `hors_equipe`, le tableau des lignes de `journal` où le patient n'est **pas**
    dans l'unité du professionnel. Il doit garder au moins les colonnes de `journal`.
    Indice : `merge` avec `personnel` et `patients` (attention aux noms de colonnes).
    ''')
    nb.answer("d2-02-hors-equipe", '''
    ### BEGIN SOLUTION
    avec_unites = (journal
                   .merge(personnel[["persona", "unite"]], on="persona")
                   .merge(patients.rename(columns={"unite": "unite_patient"}), on="patient"))
    hors_equipe = avec_unites[avec_unites["unite"] != avec_unites["unite_patient"]]
    ### END SOLUTION
    ''')
    nb.tests("d2-02-hors-equipe-tests", '''
    assert isinstance(hors_equipe, pd.DataFrame), "`hors_equipe` est un tableau pandas."
    assert set(journal.columns) <= set(hors_equipe.columns), "Gardez les colonnes de `journal`."
    assert 0 < len(hors_equipe) < len(journal) / 4, "La plupart des accès sont dans l'équipe de soins, pas tous."
    assert "inf.morel" in set(hors_equipe["persona"]), "Regardez les accès d'inf.morel le 18 novembre."
    ### BEGIN HIDDEN TESTS
    cles = sorted(zip(hors_equipe["horodatage"], hors_equipe["persona"], hors_equipe["patient"], strict=True))
    assert len(cles) == 9
    assert sorted({p for _, p, _ in cles}) == ["dr.benali", "inf.morel", "sec.dupuis"]
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.3"], minutes=25)
    nb.md('''
    ## Exercice 5 — Les accès anormaux et la personne à signaler (20 min)
    Parmi `hors_equipe`, un accès est **justifié** s'il s'agit d'un `bris_de_glace` avec un
    motif non vide. Construisez :
    - `acces_anormaux` : les accès hors équipe **non justifiés** (mêmes colonnes) ;
    - `persona_suspecte` : le professionnel qui a le plus d'accès anormaux (une chaîne).
    ''')
    nb.answer("d2-02-anormaux", '''
    ### BEGIN SOLUTION
    justifie = (hors_equipe["action"] == "bris_de_glace") & (hors_equipe["motif"].str.strip() != "")
    acces_anormaux = hors_equipe[~justifie]
    persona_suspecte = acces_anormaux["persona"].value_counts().idxmax()
    ### END SOLUTION
    ''')
    nb.tests("d2-02-anormaux-tests", '''
    assert isinstance(persona_suspecte, str), "`persona_suspecte` est un identifiant, par exemple \\"dr.martin\\"."
    assert "dr.benali" not in set(acces_anormaux["persona"]), (
        "Le bris de glace de dr.benali est motivé : c'est un accès justifié."
    )
    ### BEGIN HIDDEN TESTS
    assert persona_suspecte == "inf.morel"
    assert len(acces_anormaux) == 8
    assert "sec.dupuis" in set(acces_anormaux["persona"])
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.3"], minutes=20)
    nb.md('''
    ## Exercice 6 — Les accès de nuit (15 min)
    Les accès de nuit ne sont pas anormaux en soi (les équipes de nuit travaillent !), mais ils
    aident à comprendre un incident. Calculez `nuit_par_persona`, un dictionnaire
    `persona -> nombre d'accès` entre **22 h (incluse) et 6 h (exclue)**, pour les seuls
    professionnels qui en ont au moins un.
    ''')
    nb.answer("d2-02-nuit", '''
    ### BEGIN SOLUTION
    heure = journal["horodatage"].dt.hour
    nuit = journal[(heure >= 22) | (heure < 6)]
    nuit_par_persona = nuit["persona"].value_counts().to_dict()
    ### END SOLUTION
    ''')
    nb.tests("d2-02-nuit-tests", '''
    assert isinstance(nuit_par_persona, dict), "Attendu : un dictionnaire persona -> nombre."
    assert "sec.dupuis" not in nuit_par_persona, "Le secrétariat ne travaille pas la nuit dans cette trace."
    assert nuit_par_persona.get("inf.morel", 0) >= 7, "inf.morel a au moins 7 accès vers 1 h du matin le 18."
    ### BEGIN HIDDEN TESTS
    h = journal["horodatage"].dt.hour
    attendu = journal[(h >= 22) | (h < 6)]["persona"].value_counts().to_dict()
    assert {k: int(v) for k, v in nuit_par_persona.items()} == {k: int(v) for k, v in attendu.items()}
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.3"], minutes=15)
    nb.md('''
    ## 3. Réagir à un incident
    Lundi 8 h 10, en ouvrant la pièce jointe d'un courriel, une infirmière voit ses fichiers
    se renommer un à un en `.locked` ; un message réclame une rançon. Que faire, et dans quel
    ordre ?
    ''')
    nb.md('''
    ## Exercice 7 — Les bons réflexes (20 min)
    1. Dans `a_faire`, indiquez pour chaque action `True` si elle fait partie des bons réflexes,
       `False` sinon.
    2. Dans `ordre`, rangez les lettres des **bonnes** actions dans l'ordre où elles doivent
       commencer : d'abord **contenir** ou **alerter** ; la déclaration vient après l'alerte.
    ''')
    nb.code('''
    actions = {
        "A": "débrancher le câble réseau du poste (ou couper le Wi-Fi) sans l'éteindre",
        "B": "éteindre l'ordinateur",
        "C": "alerter immédiatement le support informatique / le RSSI selon la procédure de l'établissement",
        "D": "payer la rançon pour récupérer les fichiers au plus vite",
        "E": "supprimer le courriel piégé et le message de rançon",
        "F": "noter l'heure, ce qui a été vu et fait, photographier l'écran",
        "G": "essayer de restaurer soi-même les fichiers depuis une clé USB personnelle",
        "H": "déclarer l'incident sur le portail de signalement des événements sanitaires indésirables "
             "(par la direction ou la personne désignée)",
    }
    ''')
    nb.answer("d2-02-reflexes", '''
    ### BEGIN SOLUTION
    a_faire = {"A": True, "B": False, "C": True, "D": False, "E": False, "F": True, "G": False, "H": True}
    ordre = ["A", "C", "F", "H"]
    ### END SOLUTION
    ''')
    nb.tests("d2-02-reflexes-tests", '''
    assert set(a_faire) == set(actions), "Donnez True ou False pour chaque lettre de A à H."
    assert a_faire["D"] is False, (
        "On ne paie pas la rançon : rien ne garantit la restitution, et cela finance les attaquants."
    )
    assert isinstance(ordre, list) and len(ordre) == len(set(ordre)), "`ordre` est une liste de lettres distinctes."
    ### BEGIN HIDDEN TESTS
    assert {k for k, v in a_faire.items() if v} == {"A", "C", "F", "H"}
    assert set(ordre) == {"A", "C", "F", "H"}
    assert ordre[0] in {"A", "C"}
    assert ordre.index("C") < ordre.index("H")
    ### END HIDDEN TESTS
    ''', points=3, competencies=["D2.4"], minutes=20)
    nb.md('''
    ## Exercice 8 — Qui prévenir ? (10 min)
    Mettez dans l'ensemble `vraies` les lettres des affirmations **vraies**.

    - **A.** Les établissements de santé doivent déclarer les incidents significatifs ou graves
      de sécurité de leurs systèmes d'information.
    - **B.** La déclaration se fait sur le portail de signalement des événements sanitaires
      indésirables ; elle est transmise à l'ARS et au CERT Santé.
    - **C.** Le CERT Santé, service de l'Agence du numérique en santé (ANS), aide les
      établissements à répondre aux incidents, y compris hors des heures ouvrées pour les
      incidents majeurs.
    - **D.** Il faut attendre d'avoir compris toute l'attaque avant de déclarer.
    - **E.** Chaque soignant déclare lui-même l'incident sur le portail, sans prévenir personne
      dans l'établissement.
    - **F.** Une déclaration rapide aide aussi les autres établissements, qui peuvent être visés
      par la même attaque.
    ''')
    nb.answer("d2-02-qui-prevenir", '''
    ### BEGIN SOLUTION
    vraies = {"A", "B", "C", "F"}
    ### END SOLUTION
    ''')
    nb.tests("d2-02-qui-prevenir-tests", '''
    assert isinstance(vraies, set) and vraies <= set("ABCDEF"), "`vraies` est un ensemble de lettres de A à F."
    assert "D" not in vraies, "La déclaration se fait sans délai, avec les informations disponibles."
    ### BEGIN HIDDEN TESTS
    assert vraies == {"A", "B", "C", "F"}
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.4"], minutes=10)
    nb.md('''
    ## Exercice 9 — Le message d'alerte (20 min)
    Rédigez le message que l'infirmière transmet au support informatique (par téléphone ou
    depuis un autre poste) juste après avoir débranché le câble réseau.
    ''')
    nb.free_text("d2-02-message-alerte", rubric=[
        (1, "Faits datés et précis : heure, poste (nom ou emplacement), ce qui a été vu "
            "(fichiers renommés .locked, message de rançon), courriel et pièce jointe en cause."),
        (1, "Mesures déjà prises : poste isolé du réseau mais laissé allumé, rien supprimé, "
            "aucune rançon payée."),
        (1, "Conséquences pour les soins et coordonnées pour être rappelée ; pas de données de "
            "patient inutiles dans le message."),
    ], solution='''
    « Lundi 8 h 10, poste PC-CARDIO-03 (salle de soins de cardiologie, 2e étage). J'ai ouvert la
    pièce jointe « facture.html » d'un courriel reçu à 8 h 05 de « compta@fournisseur-med.com » ;
    aussitôt, mes fichiers se sont renommés en .locked et un message réclame une rançon. J'ai
    débranché le câble réseau à 8 h 12, le poste est resté allumé, je n'ai rien supprimé ni
    payé. Le service ne peut plus imprimer les plans de soins depuis ce poste ; nous passons sur
    un autre poste. Vous pouvez me joindre au poste 4521. »
    ''', competencies=["D2.4"], minutes=20)
    return nb


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_menaces_bonnes_pratiques": menaces(), "02_detecter_reagir": detecter()}
