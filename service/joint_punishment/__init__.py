"""The department API of joint punishment (联合惩戒, rules §10): the measures catalogue, the list
pinned to one feed number, the changes feed, hit checks and their log, measure feedback and the
lifts departments owe after a removal."""
