# Reference vectors for nwcap-fetch's SAS signer (sv=2022-11-02).
from datetime import datetime, timezone
import azure.storage.blob._shared.constants as c
from azure.storage.blob._shared.shared_access_signature import SharedAccessSignature
from azure.storage.blob import generate_container_sas, generate_blob_sas, generate_account_sas, ResourceTypes, AccountSasPermissions
import azure.storage.blob._shared_access_signature as bsas
import azure.storage.blob._shared.shared_access_signature as ssas
for m in (c, bsas, ssas):
    if hasattr(m, 'X_MS_VERSION'): m.X_MS_VERSION = '2022-11-02'
K = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
U = timezone.utc
print(generate_container_sas("devstoreaccount1", "network-watcher-logs", account_key=K, permission="rl",
  start=datetime(2025,1,31,16,0,0,tzinfo=U), expiry=datetime(2025,1,31,18,0,0,tzinfo=U)))
print(generate_blob_sas("devstoreaccount1", "c1", "a/b/packetcapture_16_39_41_077.cap", account_key=K, permission="r",
  expiry=datetime(2030,1,1,tzinfo=U), protocol="https,http"))
# generate_account_sas pins the SDK's own sv; sign with 2022-11-02 explicitly:
sas = SharedAccessSignature("devstoreaccount1", K, x_ms_version="2022-11-02")
print(sas.generate_account("b", ResourceTypes(service=True, container=True, object=True),
  AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True), datetime(2030,1,1,tzinfo=U)))
