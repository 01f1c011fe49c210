"""INSi: the national identity teleservice (récupération and vérification of the INS)."""
