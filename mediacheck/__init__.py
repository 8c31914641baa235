"""mediacheck: publish school event photos without publishing a child who has no consent."""
