"""The blacklist (质量失信黑名单, rules §9): candidates by versioned criteria, the listing procedure
with its windows and upper-level consent, early removal, expiry, the changes feed and the signed
releases."""
