"""January: a social organisation registers itself with its credit code, files its registration certificate,
invites a colleague, and the street verifies it; from then on it may apply for projects."""

from app.demo.year import Year

# 彩虹社工服务中心: registered with 福田区民政局 (authority code 5, a 民办非企业单位: type 2), check character valid.
CREDIT_CODE = "52440304MJL000100E"
# The organisation's people log in with their phones like residents; they are not on 彩田社区's roll.
PEOPLE = {"吴": "13900000007", "郑": "13900000008"}
# A one-page PDF stands in for the scanned 民办非企业单位登记证书.
CERTIFICATE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def register_and_verify(y: Year) -> None:
    """吴, its director, registers it (pending), uploads the certificate and invites 郑; 郑 accepts; the street
    checks the documents and verifies it."""
    y.on(1, 8)
    y.cast.phones.update(PEOPLE)
    org = await y.post(
        "吴",
        "/organisations/register",
        {
            "name": "彩虹社工服务中心",
            "credit_code": CREDIT_CODE,
            "registration_authority": "福田区民政局",
            "legal_representative": "吴敏",
            "contact_name": "吴敏",
            "contact_phone": PEOPLE["吴"],
            "service_area_id": y.ids["regions"]["彩田社区"],
        },
        201,
    )
    y.ids.setdefault("organisations", {})["implementer"] = org["id"]
    await y.post(
        "吴",
        f"/organisations/{org['id']}/documents",
        status=201,
        files={"file": ("民办非企业单位登记证书.pdf", CERTIFICATE, "application/pdf")},
    )
    await y.post("吴", f"/organisations/{org['id']}/invitations", {"phone": PEOPLE["郑"]}, 201)
    invitation = (await y.get("郑", "/organisation-invitations"))["items"][0]
    await y.post("郑", f"/organisation-invitations/{invitation['id']}/accept")
    y.on(1, 10)
    await y.post("street", f"/organisations/{org['id']}/verify", {"reason": "登记证书与民政登记信息一致。"})
