-- A unified social credit code identifies one organisation on the platform (issue 14): no
-- second organisation may claim it, so no one can obtain seal certificates in another's name.
CREATE UNIQUE INDEX organizations_uscc_unique ON organizations (uscc) WHERE uscc IS NOT NULL;
