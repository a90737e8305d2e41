#!/usr/bin/env python3
"""moto_server for scripts/test.sh, with one work-around applied at start-up (nothing of moto is copied).

Since moto 5.1.16, DynamoDB's TransactWriteItems backs a table up with a custom __deepcopy__ that creates every
copied Item and DynamoType through BaseModel.__new__, which appends each new instance to the class's
`instances_tracked` list, so every backup stays alive: 60 transactions of 99 updates kept 14 GB (measured), and
moto_server was OOM-killed mid-suite. DynamoDB items are never looked up through that list (it feeds the
/moto-api/data.json dump), so instances of moto.dynamodb models are simply not tracked here.

Usage: moto_server.py [moto_server arguments], e.g. -H 127.0.0.1 -p 5000
"""
import sys

import moto.core.common_models as common

_tracked_new = common.BaseModel.__new__


def _new(cls, *args, **kwargs):
    if cls.__module__.startswith("moto.dynamodb."):
        return object.__new__(cls)
    return _tracked_new(cls, *args, **kwargs)


common.BaseModel.__new__ = staticmethod(_new)

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
