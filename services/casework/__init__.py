"""casework: clients, cases, consent, services delivered, identification, case plans."""
