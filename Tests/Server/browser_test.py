"""The poser page in a real headless Chromium (Debian's chromium + chromedriver, Selenium):
it loads, shows frames, a slider pins a parameter and the picture changes, an emotion button
sets the emotion (`/api/state` follows), and /obs shows the feed on a transparent page.
With SERVER_PAGE_SCREENSHOT=PATH it saves a screenshot of the page there (for the README).

    .venv-browser/bin/python Tests/Server/browser_test.py BINARY WEIGHTS_DIR CHARACTER_PNG
"""
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverproc import Server, wait_for  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

BINARY, WEIGHTS, CHARACTER = sys.argv[1:4]
results = []

# Samples the <img> showing the feed onto a canvas: 64x64 RGBA values (same origin, so readable).
SAMPLE_JS = """
const img = document.getElementById('feed');
if (!img.naturalWidth) return null;
const c = document.createElement('canvas'); c.width = 64; c.height = 64;
const g = c.getContext('2d'); g.drawImage(img, 0, 0, 64, 64);
return Array.from(g.getImageData(0, 0, 64, 64).data);
"""


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print("ok   " + name, flush=True)
    except Exception:
        results.append((name, traceback.format_exc()))
        print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)


def mean_abs(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)


srv = Server(BINARY, WEIGHTS, image=CHARACTER)
opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
    opts.add_argument(arg)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
driver.set_script_timeout(20)
base = "http://127.0.0.1:%d" % srv.port


def state():
    return srv.json("GET", "/api/state")[1]


def page_loads_and_shows_frames():
    driver.get(base + "/")
    wait_for(lambda: driver.find_elements(By.ID, "slider-head_x"), 20, "the sliders")
    wait_for(lambda: driver.find_elements(By.ID, "emotion-joy"), 20, "the emotion buttons")
    sliders = driver.find_elements(By.CSS_SELECTOR, "input[type=range]")
    assert len(sliders) == 45, "%d sliders" % len(sliders)
    wait_for(lambda: driver.execute_script(SAMPLE_JS), 60, "a frame in the page")


def slider_pins_and_the_picture_changes():
    slider = driver.find_element(By.ID, "slider-head_x")
    slider.send_keys(Keys.HOME)  # head_x = -1, pinned
    wait_for(lambda: state()["overrides"].get("head_x") == -1, 10, "head_x pinned at -1")
    wait_for(lambda: state()["pose"]["head_x"] == -1, 60, "a frame with head_x -1")
    time.sleep(1.0)  # the feed's next part reaches the page
    a = driver.execute_script(SAMPLE_JS)
    time.sleep(1.5)
    a2 = driver.execute_script(SAMPLE_JS)
    idle = mean_abs(a, a2)  # the animation alone (breathing, blinks, sway of other parts)
    slider.send_keys(Keys.END)  # head_x = +1
    wait_for(lambda: state()["overrides"].get("head_x") == 1, 10, "head_x pinned at +1")
    wait_for(lambda: state()["pose"]["head_x"] == 1, 60, "a frame with head_x +1")
    time.sleep(1.0)
    b = driver.execute_script(SAMPLE_JS)
    turned = mean_abs(a2, b)
    print("     mean pixel change: idle %.2f, head_x -1 -> +1 %.2f" % (idle, turned))
    assert turned > 1.0 and turned > 3 * idle, "the picture did not follow the slider (%.2f vs idle %.2f)" % (turned, idle)
    driver.find_element(By.ID, "release-head_x").click()
    wait_for(lambda: "head_x" not in state()["overrides"], 10, "head_x released")


def emotion_button_sets_the_emotion():
    for name in ("joy", "anger"):
        driver.find_element(By.ID, "emotion-" + name).click()
        wait_for(lambda: state()["emotion"] == name, 10, "/api/state emotion %s" % name)
    driver.find_element(By.ID, "talk").click()
    wait_for(lambda: state()["talking"], 10, "talking on")
    driver.find_element(By.ID, "talk").click()
    wait_for(lambda: not state()["talking"], 10, "talking off")
    driver.find_element(By.CSS_SELECTOR, "input[name=bg][value='#00ff00']").click()
    bg = driver.execute_script("return getComputedStyle(document.getElementById('stage')).backgroundColor")
    assert bg == "rgb(0, 255, 0)", "background %s" % bg
    shot = os.environ.get("SERVER_PAGE_SCREENSHOT")
    if shot:
        driver.find_element(By.ID, "emotion-joy").click()
        time.sleep(3)
        driver.execute_script("document.getElementById('right').scrollTop = 0; window.scrollTo(0, 0);")
        driver.save_screenshot(shot)
        print("     screenshot saved to " + shot)


def obs_page_is_transparent():
    driver.get(base + "/obs")
    wait_for(lambda: driver.execute_script(SAMPLE_JS), 60, "a frame in /obs")
    bg = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert bg in ("rgba(0, 0, 0, 0)", "transparent"), "body background %s" % bg
    corner = driver.execute_script(SAMPLE_JS)[3]  # alpha of the top-left pixel of the character image
    assert corner == 0, "the feed's background is not transparent (alpha %d)" % corner


try:
    check("page loads and shows frames", page_loads_and_shows_frames)
    check("a slider pins a parameter and the picture changes", slider_pins_and_the_picture_changes)
    check("emotion buttons, talk toggle, background", emotion_button_sets_the_emotion)
    check("/obs is the feed on a transparent page", obs_page_is_transparent)
finally:
    driver.quit()
    srv.stop()
failed = [n for n, e in results if e]
print("server tests (browser): %d passed, %d failed" % (len(results) - len(failed), len(failed)))
sys.exit(1 if failed else 0)
