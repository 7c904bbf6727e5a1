"""issue 10: the publisher portal in a real browser. A publisher signs in, creates a SaaS offer with two plans and a
metered dimension (meeting field-level validation on the way), publishes it to preview and live; a customer buys it
in the storefront and the sample app activates it; the publisher sees the purchase, advances the marketplace clock a
month, sees the renewal and the invoice, and replays the renewal webhook; a Developer is refused the payout page.
Screenshots in screenshots/browser/portal-*.png."""
import struct
import time
import zlib

import requests

from browser import By, EC, Select, WebDriverWait, replaced, shot, storefront  # noqa: F401 (fixture)


def png(path, width, height):
    """A real PNG of the given size (the portal reads the size from the file's IHDR)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return str(path)


def fill(driver, values):
    for element_id, value in values.items():
        element = driver.find_element(By.ID, element_id)
        element.clear()
        element.send_keys(value)


def f(name):
    """The id of a portal form field named by its document path."""
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


def submit(driver, button_id):
    """Clicks a button or link and waits for the next page to replace this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, button_id).click()
    WebDriverWait(driver, 20).until(replaced(old))


def sign_in(driver, wait, base, email, password):
    driver.get(base + "/portal")
    wait.until(EC.presence_of_element_located((By.ID, "signin-submit")))
    fill(driver, {"email": email, "password": password})
    submit(driver, "signin-submit")
    wait.until(EC.presence_of_element_located((By.ID, "who")))


def saved(wait):
    try:
        wait.until(EC.presence_of_element_located((By.ID, "notice")))
    except Exception:
        driver = wait._driver
        shot(driver, "portal-failed")
        errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".error, .issues li")]
        raise AssertionError(f"not saved at {driver.current_url}: {errors}")


def test_publisher_creates_publishes_sells_renews_and_roles_apply(storefront, tmp_path):
    mercato, demo, driver, leads, app_port = storefront
    wait = WebDriverWait(driver, 20)
    base = mercato.base_url
    app = f"http://127.0.0.1:{app_port}"

    # 1. Sign in as the Owner: the overview with its charts.
    sign_in(driver, wait, base, "owner@contoso.example", demo["publisherPassword"])
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-orders svg")
    shot(driver, "portal-01-overview")

    # 2. A new SaaS offer.
    submit(driver, "nav-offers")
    submit(driver, "new-offer")
    fill(driver, {f("id"): "Contoso Mail!", f("alias"): "Contoso Mail"})
    submit(driver, "new-offer-form-submit")
    wait.until(EC.presence_of_element_located((By.ID, f("id") + "-error")))  # an offer ID with capitals and '!' is refused
    shot(driver, "portal-02-new-offer-error")
    fill(driver, {f("id"): "contoso-mail"})
    submit(driver, "new-offer-form-submit")
    saved(wait)
    assert driver.current_url.endswith("/portal/offers/contoso-mail/setup?done=created")

    # 3. Properties, listing (with media), preview audience, technical configuration.
    submit(driver, "tab-properties")
    Select(driver.find_element(By.ID, f("properties.categories[0].category"))).select_by_value("analytics")
    fill(driver, {f("properties.categories[0].subcategories"): "data-analytics"})
    assert driver.find_element(By.ID, f("properties.useStandardContract")).is_selected()  # the Standard Contract by default
    submit(driver, "tab-form-submit")
    saved(wait)

    submit(driver, "tab-listing")
    fill(driver, {
        f("listing.name"): "Contoso Mail", f("listing.summary"): "E-mail campaigns that measure themselves.",
        f("listing.description"): "<p>Send, track and <b>measure</b> e-mail campaigns.</p>",
        f("listing.gettingStartedInstructions"): "Buy a plan, then finish set-up on our site.",
        f("listing.keywords"): "email, campaigns", f("listing.privacyPolicyURL"): "http://contoso.example/privacy",
        f("listing.supportContact.name"): "Contoso Support", f("listing.supportContact.email"): "support@contoso.example",
        f("listing.supportContact.phone"): "+1 425 555 0100", f("listing.supportContact.url"): "https://contoso.example/support",
        f("listing.engineeringContact.name"): "Contoso Engineering", f("listing.engineeringContact.email"): "eng@contoso.example",
        f("listing.engineeringContact.phone"): "+1 425 555 0101",
        f("listing.screenshot.caption"): "The campaign dashboard", f("listing.document.name"): "Product sheet",
    })
    driver.find_element(By.ID, f("listing.largeLogo")).send_keys(png(tmp_path / "logo.png", 300, 300))
    driver.find_element(By.ID, f("listing.screenshot")).send_keys(png(tmp_path / "dashboard.png", 1280, 720))
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    driver.find_element(By.ID, f("listing.document")).send_keys(str(pdf))
    submit(driver, "tab-form-submit")
    # http:// privacy link: refused on its field, the other values kept.
    error = wait.until(EC.presence_of_element_located((By.ID, f("listing.privacyPolicyURL") + "-error")))
    assert "https" in error.text
    assert driver.find_element(By.ID, f("listing.name")).get_attribute("value") == "Contoso Mail"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", error)
    shot(driver, "portal-03-listing-field-error")
    fill(driver, {f("listing.privacyPolicyURL"): "https://contoso.example/privacy"})
    driver.find_element(By.ID, f("listing.largeLogo")).send_keys(png(tmp_path / "logo.png", 300, 300))
    driver.find_element(By.ID, f("listing.screenshot")).send_keys(png(tmp_path / "dashboard.png", 1280, 720))
    driver.find_element(By.ID, f("listing.document")).send_keys(str(pdf))
    submit(driver, "tab-form-submit")
    saved(wait)
    assert "300×300" in driver.find_element(By.ID, "media-logo").text

    submit(driver, "tab-preview")
    fill(driver, {f("previewAudience"): "owner@contoso.example, the owner"})
    submit(driver, "tab-form-submit")
    saved(wait)

    submit(driver, "tab-technical")
    fill(driver, {
        f("technicalConfiguration.landingPageURL"): app + "/landing", f("technicalConfiguration.connectionWebhookURL"): app + "/webhook",
        f("technicalConfiguration.aadTenantId"): demo["tenantId"], f("technicalConfiguration.aadAppId"): demo["clientId"],
    })
    submit(driver, "tab-form-submit")
    saved(wait)

    # 4. A metered dimension and two plans.
    submit(driver, "tab-plans")
    fill(driver, {f("dimension.id"): "emails", f("dimension.displayName"): "Emails sent", f("dimension.unitOfMeasure"): "per email"})
    submit(driver, "new-dimension-form-submit")
    saved(wait)
    assert driver.find_element(By.ID, "dimension-emails")
    for plan_id, name, price, metered in [("basic", "Basic", "10", True), ("pro", "Pro", "50", False)]:
        fill(driver, {f("planId"): plan_id, f("planName"): name})
        submit(driver, "new-plan-form-submit")
        saved(wait)
        fill(driver, {f("description"): f"The {name} plan.", f("price.P1M"): price})
        if metered:
            driver.find_element(By.ID, f("dim.emails.enabled")).click()
            fill(driver, {f("dim.emails.price"): "abc"})
            submit(driver, "plan-form-submit")
            wait.until(EC.presence_of_element_located((By.ID, f("dim.emails.price") + "-error")))
            shot(driver, "portal-04-plan-field-error")
            fill(driver, {f("dim.emails.price"): "0.01", f("dim.emails.includedMonthly"): "1000"})
        submit(driver, "plan-form-submit")
        saved(wait)
        submit(driver, "tab-plans")
    assert driver.find_element(By.ID, "plan-basic") and driver.find_element(By.ID, "plan-pro")
    shot(driver, "portal-05-plans")

    # 5. Publish → Preview → Go live → Live (certification probes the landing page and the webhook).
    def wait_status(expected):
        deadline = time.time() + 40
        while time.time() < deadline:
            driver.get(base + "/portal/offers/contoso-mail")
            status = driver.find_element(By.ID, "offer-status").text
            if status == expected:
                return
            time.sleep(0.5)
        shot(driver, "portal-publish-stuck")
        raise AssertionError(f"offer status stayed {status!r}, wanted {expected!r}: " + driver.find_element(By.ID, "operations").text)

    submit(driver, "tab-overview")
    assert "Complete" in driver.find_element(By.ID, "page-status").text
    assert not driver.find_elements(By.ID, "issues"), driver.find_element(By.ID, "issues").text
    submit(driver, "publish")
    saved(wait)
    wait_status("Preview")
    submit(driver, "golive")
    saved(wait)
    wait_status("Live")
    shot(driver, "portal-06-live")

    # 6. A customer buys the Basic plan in the storefront (same browser, separate session cookie); the app activates it.
    driver.get(base + "/signin")
    fill(driver, {"email": demo["customerEmail"], "password": demo["customerPassword"]})
    submit(driver, "signin-submit")
    driver.get(base + f"/offers/{demo['publisherId']}/contoso-mail/buy?plan=basic")
    wait.until(EC.presence_of_element_located((By.ID, "accept"))).click()
    driver.find_element(By.ID, "buy-submit").click()
    wait.until(EC.presence_of_element_located((By.ID, "activated")))

    # 7. The publisher sees the purchase.
    driver.get(base + "/portal/subscriptions?offer=contoso-mail")
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#subscriptions tbody tr")))
    assert "Subscribed" in row.text and "basic" in row.text
    shot(driver, "portal-07-subscriptions")
    row.find_element(By.TAG_NAME, "a").click()
    subscription_url = driver.current_url
    assert driver.find_element(By.ID, "subscription-status").text == "Subscribed"

    # 8. Advance the marketplace clock a month: the renewal fires; the month's invoice is issued.
    submit(driver, "nav-sandbox")
    fill(driver, {f("advance"): "1mo"})
    submit(driver, "advance-clock-submit")
    fired = wait.until(EC.presence_of_element_located((By.ID, "fired")))
    assert "Renew" in fired.text
    shot(driver, "portal-08-clock-advanced")
    driver.get(base + "/portal/invoices")
    invoices = wait.until(EC.presence_of_element_located((By.ID, "invoices")))
    assert "10.00 USD" in invoices.text, invoices.text
    shot(driver, "portal-09-invoices")

    # 9. The renewal webhook reached the app; replay it and see a second delivery attempt.
    def deliveries():
        driver.get(subscription_url)
        return driver.find_element(By.ID, "deliveries").text

    deadline = time.time() + 30
    while time.time() < deadline and "Delivered" not in deliveries():
        time.sleep(0.5)
    text = deliveries()
    assert "Renew" in text and "Delivered" in text, text
    replay = driver.find_element(By.CSS_SELECTOR, "#deliveries button[id^=replay-]")
    old = driver.find_element(By.TAG_NAME, "html")
    replay.click()
    wait.until(replaced(old))
    assert "queued" in wait.until(EC.presence_of_element_located((By.ID, "notice"))).text
    deadline = time.time() + 30
    renewals = lambda: [e for e in requests.get(app + "/events", timeout=5).json() if e.get("action") == "Renew"]  # noqa: E731
    while time.time() < deadline and len(renewals()) < 2:
        time.sleep(0.5)
    assert len(renewals()) >= 2, "the replayed Renew webhook did not reach the app"
    shot(driver, "portal-10-replayed")

    # 10. A Developer signs in: offers yes, payouts no ("you need role Owner").
    submit(driver, "signout")
    sign_in(driver, wait, base, "dev@contoso.example", demo["publisherPassword"])
    assert not driver.find_elements(By.ID, "nav-payouts")
    driver.get(base + "/portal/payouts")
    title = driver.find_element(By.ID, "page-title").text
    assert title == "You need role Owner", title
    shot(driver, "portal-11-developer-refused")
