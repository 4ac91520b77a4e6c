#!/usr/bin/env python3
"""Writes sample CloudTrail log files (gzip JSON {"Records": [...]}) under
DIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, named as CloudTrail
names them. Usage: sample-cloudtrail.py DIR ACCOUNT REGION COUNT"""
import gzip
import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone


def main():
    out, account, region, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(f"{account}/{region}")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i in range(count):
        t = start + timedelta(hours=7 * i, minutes=rng.randrange(60))
        records = [{
            "eventVersion": "1.08",
            "eventTime": (t + timedelta(seconds=j)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": rng.choice(["s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com"]),
            "eventName": rng.choice(["GetObject", "DescribeInstances", "ListRoles"]),
            "awsRegion": region,
            "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
            "recipientAccountId": account,
        } for j in range(rng.randrange(1, 6))]
        d = os.path.join(out, "AWSLogs", account, "CloudTrail", region, t.strftime("%Y/%m/%d"))
        os.makedirs(d, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{t.strftime('%Y%m%dT%H%MZ')}_{rng.getrandbits(64):016x}.json.gz"
        with open(os.path.join(d, name), "wb") as f:
            f.write(gzip.compress(json.dumps({"Records": records}).encode(), mtime=0))


if __name__ == "__main__":
    main()
