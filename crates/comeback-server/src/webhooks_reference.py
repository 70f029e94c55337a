# Reference value of the webhook signature test (src/webhooks.rs,
# signature_matches_python_hmac), computed with Python's standard library only:
#   python3 src/webhooks_reference.py
import hashlib
import hmac

secret = b"whsec_test"
t = 1700000000
body = b'{"id":"evt_1","type":"customer.at_risk"}'
print(hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest())
