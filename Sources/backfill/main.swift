print("backfill")
