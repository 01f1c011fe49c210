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
    nb.code('''
    MENACES = {"rancongiciel", "hameconnage", "vol_de_compte", "fuite_de_donnees", "deni_de_service"}
    situations = [
        "Un courriel « Mise à jour de votre messagerie » demande de saisir son mot de passe sur un lien",
        "Tous les fichiers du serveur de radiologie portent l'extension .locked et un fichier LISEZ-MOI réclame des bitcoins",
        "Le dossier d'un patient a été consulté à 3 h du matin avec l'identifiant d'une infirmière en congé",
        "Une clé USB non chiffrée contenant la liste des patients de dialyse a été perdue dans le train",
        "Le site de prise de rendez-vous ne répond plus : des millions de requêtes arrivent de toutes parts",
        "Un SMS prétendant venir de l'Assurance maladie invite à « mettre à jour sa carte Vitale » via un lien",
        "Un tableau de résultats de biologie a été envoyé par erreur à une adresse de messagerie personnelle externe",
    ]
    ''')
    nb.answer("d2-01-menaces", '''
    menace = {
        ### BEGIN SOLUTION
        situations[0]: "hameconnage",
        situations[1]: "rancongiciel",
        situations[2]: "vol_de_compte",
        situations[3]: "fuite_de_donnees",
        situations[4]: "deni_de_service",
        situations[5]: "hameconnage",
        situations[6]: "fuite_de_donnees",
        ### END SOLUTION
    }
    ''')
    nb.tests("d2-01-menaces-tests", '''
    assert isinstance(menace, dict), "`menace` doit être un dictionnaire situation -> menace."
    assert set(menace) == set(situations), "Donnez une menace pour chaque situation, sans en ajouter."
    inconnues = set(menace.values()) - MENACES
    assert not inconnues, f"Valeurs inconnues : {inconnues}. Choisissez parmi {sorted(MENACES)}."
    assert menace[situations[1]] == "rancongiciel", "Des fichiers chiffrés et une rançon : c'est un rançongiciel."
    ### BEGIN HIDDEN TESTS
    attendu = ["hameconnage", "rancongiciel", "vol_de_compte", "fuite_de_donnees",
               "deni_de_service", "hameconnage", "fuite_de_donnees"]
    assert [menace[s] for s in situations] == attendu
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.1"], minutes=15)
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
    nb.code('''
    pratiques = [
        "verrouiller sa session (Windows + L) avant de quitter le poste, même pour deux minutes",
        "prêter sa carte CPS et son code à l'interne pour qu'il puisse prescrire pendant la garde",
        "brancher sur le poste du service une clé USB trouvée sur le parking pour retrouver son propriétaire",
        "installer les mises à jour proposées par le service informatique sans les repousser indéfiniment",
        "noter son mot de passe sur un post-it collé sous le clavier",
        "utiliser un mot de passe différent pour chaque service",
        "se connecter à un téléservice avec son e-CPS plutôt qu'avec un mot de passe",
        "réutiliser le mot de passe de sa messagerie personnelle pour le dossier patient informatisé",
        "signaler au service informatique un comportement inhabituel de son poste",
    ]
    ''')
    nb.answer("d2-01-pratiques", '''
    bonne_pratique = {
        ### BEGIN SOLUTION
        pratiques[0]: True,
        pratiques[1]: False,
        pratiques[2]: False,
        pratiques[3]: True,
        pratiques[4]: False,
        pratiques[5]: True,
        pratiques[6]: True,
        pratiques[7]: False,
        pratiques[8]: True,
        ### END SOLUTION
    }
    ''')
    nb.tests("d2-01-pratiques-tests", '''
    assert set(bonne_pratique) == set(pratiques), "Donnez une réponse pour chaque pratique, sans en ajouter."
    assert all(isinstance(v, bool) for v in bonne_pratique.values()), "Les réponses sont True ou False."
    assert bonne_pratique[pratiques[1]] is False, (
        "Une carte CPS est personnelle : tout ce qui est fait avec elle est tracé au nom de son titulaire."
    )
    ### BEGIN HIDDEN TESTS
    attendu = [True, False, False, True, False, True, True, False, True]
    assert [bonne_pratique[p] for p in pratiques] == attendu
    ### END HIDDEN TESTS
    ''', points=2, competencies=["D2.2"], minutes=15)
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


def notebooks() -> dict[str, NotebookBuilder]:
    return {"01_menaces_bonnes_pratiques": menaces()}
