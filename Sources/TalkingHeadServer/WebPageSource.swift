/// The pages' text (kept apart from the routing). The key, when the page was opened with
/// `?key=`, is passed on to the feed URL and sent as a Bearer header on every call.
enum WebPageSource {
    static let obs = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>talking-head (OBS)</title>
    <style>html,body{margin:0;background:transparent;overflow:hidden;height:100%}
    img{width:100vw;height:100vh;object-fit:contain;display:block}</style></head>
    <body><img id="feed" alt="">
    <script>
    const key = new URLSearchParams(location.search).get('key');
    document.getElementById('feed').src = '/api/talkinghead/result_feed' + (key ? '?key=' + encodeURIComponent(key) : '');
    </script></body></html>
    """

    static let poser = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>talking-head serve</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
    body{font:14px system-ui,sans-serif;margin:0;display:flex;gap:16px;padding:12px;background:#f4f4f6;color:#222}
    #left{flex:0 0 auto}
    #stage{width:512px;height:512px;border:1px solid #bbb;border-radius:6px}
    #stage.checker{background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/24px 24px}
    #feed{width:512px;height:512px;display:block}
    #right{flex:1 1 auto;min-width:320px;max-height:96vh;overflow:auto}
    fieldset{border:1px solid #ccc;border-radius:6px;margin:0 0 10px;padding:6px 10px}
    legend{font-weight:600}
    .row{display:flex;align-items:center;gap:6px;margin:2px 0}
    .row label{flex:0 0 210px;font-family:monospace;font-size:12px}
    .row input[type=range]{flex:1}
    .row output{flex:0 0 44px;text-align:right;font-family:monospace;font-size:12px}
    .row.pinned label{color:#b00;font-weight:bold}
    button{margin:2px;padding:3px 8px;border:1px solid #999;border-radius:4px;background:#fff;cursor:pointer}
    button.on{background:#246;color:#fff}
    #status{font-family:monospace;font-size:12px;margin-top:6px;white-space:pre}
    #error{color:#b00;font-size:12px;min-height:1em}
    </style></head>
    <body>
    <div id="left">
      <div id="stage" class="checker"><img id="feed" alt="the character, live"></div>
      <div class="row" style="margin-top:8px">Background:
        <label style="flex:none"><input type="radio" name="bg" value="transparent" checked> transparent</label>
        <label style="flex:none"><input type="radio" name="bg" value="#00ff00"> green</label>
        <label style="flex:none"><input type="radio" name="bg" value="custom"> colour</label>
        <input type="color" id="bgcolor" value="#3060a0"></div>
      <div class="row">Character: <input type="file" id="upload" accept="image/png"></div>
      <div id="error"></div>
      <div id="status">connecting...</div>
    </div>
    <div id="right">
      <fieldset><legend>Emotion</legend><div id="emotions"></div></fieldset>
      <fieldset><legend>Talking</legend><button id="talk">talk: off</button></fieldset>
      <fieldset><legend>Parameters <button id="reset">reset all</button></legend>
        <div style="font-size:12px;color:#555">Moving a slider pins the parameter over the animation; its x releases it.</div>
        <div id="params"></div></fieldset>
    </div>
    <script>
    const key = new URLSearchParams(location.search).get('key');
    const auth = key ? {'Authorization': 'Bearer ' + key} : {};
    const $ = id => document.getElementById(id);
    function showError(e) { $('error').textContent = e ? String(e) : ''; }
    async function call(method, path, body, isForm) {
      const opts = {method, headers: Object.assign({}, auth)};
      if (body !== undefined) {
        if (isForm) opts.body = body;
        else { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
      }
      const r = await fetch(path, opts);
      const text = await r.text();
      if (!r.ok) { let m = text; try { m = JSON.parse(text).error; } catch (_) {} throw new Error(r.status + ': ' + m); }
      try { return JSON.parse(text); } catch (_) { return text; }
    }
    $('feed').src = '/api/talkinghead/result_feed' + (key ? '?key=' + encodeURIComponent(key) : '');

    function applyBackground() {
      const v = document.querySelector('input[name=bg]:checked').value;
      const stage = $('stage');
      stage.className = v === 'transparent' ? 'checker' : '';
      stage.style.background = v === 'transparent' ? '' : (v === 'custom' ? $('bgcolor').value : v);
    }
    document.querySelectorAll('input[name=bg]').forEach(r => r.addEventListener('change', applyBackground));
    $('bgcolor').addEventListener('input', () => { document.querySelector('input[value=custom]').checked = true; applyBackground(); });

    $('upload').addEventListener('change', async ev => {
      const f = ev.target.files[0]; if (!f) return;
      const form = new FormData(); form.append('file', f);
      try { await call('POST', '/api/talkinghead/load', form, true); showError(''); } catch (e) { showError(e); }
    });

    let talking = false;
    $('talk').addEventListener('click', async () => {
      try { const r = await call('POST', '/api/talking', {talking: !talking}); setTalking(r.talking); showError(''); } catch (e) { showError(e); }
    });
    function setTalking(t) { talking = t; $('talk').textContent = 'talk: ' + (t ? 'on' : 'off'); $('talk').className = t ? 'on' : ''; }

    const sliders = {};
    let pinned = {};
    async function buildParams() {
      const {params} = await call('GET', '/api/params');
      const groups = {};
      for (const p of params) (groups[p.group] = groups[p.group] || []).push(p);
      for (const [group, list] of Object.entries(groups)) {
        const box = document.createElement('div');
        box.innerHTML = '<div style="margin-top:6px;font-weight:600">' + group + '</div>';
        for (const p of list) {
          const row = document.createElement('div'); row.className = 'row'; row.id = 'row-' + p.name;
          row.innerHTML = '<label for="slider-' + p.name + '">' + p.name + '</label>' +
            '<input type="range" id="slider-' + p.name + '" min="' + p.min + '" max="' + p.max + '" step="0.01" value="0">' +
            '<output id="out-' + p.name + '">0.00</output><button id="release-' + p.name + '" title="release">x</button>';
          box.appendChild(row);
          const s = row.querySelector('input');
          sliders[p.name] = s;
          s.addEventListener('input', async () => {
            $('out-' + p.name).textContent = Number(s.value).toFixed(2);
            pinned[p.name] = Number(s.value); row.classList.add('pinned');
            try { await call('POST', '/api/overrides', {[p.name]: Number(s.value)}); showError(''); } catch (e) { showError(e); }
          });
          row.querySelector('button').addEventListener('click', async () => {
            try { await call('POST', '/api/overrides', {[p.name]: null}); delete pinned[p.name]; row.classList.remove('pinned'); } catch (e) { showError(e); }
          });
        }
        $('params').appendChild(box);
      }
    }
    $('reset').addEventListener('click', async () => {
      try { await call('DELETE', '/api/overrides'); pinned = {}; document.querySelectorAll('.row.pinned').forEach(r => r.classList.remove('pinned')); } catch (e) { showError(e); }
    });

    async function buildEmotions() {
      const {emotions} = await call('GET', '/api/emotions');
      for (const name of emotions) {
        const b = document.createElement('button'); b.textContent = name; b.id = 'emotion-' + name;
        b.addEventListener('click', async () => { try { await call('POST', '/api/emotion', {emotion: name}); showError(''); } catch (e) { showError(e); } });
        $('emotions').appendChild(b);
      }
    }

    async function refresh() {
      try {
        const s = await call('GET', '/api/state');
        setTalking(s.talking);
        document.querySelectorAll('#emotions button').forEach(b => b.className = b.id === 'emotion-' + s.emotion ? 'on' : '');
        pinned = s.overrides;
        for (const [name, slider] of Object.entries(sliders)) {
          const row = $('row-' + name);
          const isPinned = name in pinned;
          row.classList.toggle('pinned', isPinned);
          if (!isPinned && document.activeElement !== slider) {
            slider.value = s.pose[name]; $('out-' + name).textContent = Number(s.pose[name]).toFixed(2);
          }
        }
        $('status').textContent = 'emotion ' + s.emotion + (s.paused ? ' (paused)' : '') +
          '\\nrendered ' + s.rendered_per_second.toFixed(1) + ' fps, sent ' + s.sent_per_second.toFixed(1) +
          ' parts/s, viewers ' + s.viewers + ', frame ' + s.frame;
      } catch (e) { $('status').textContent = String(e); }
    }
    (async () => {
      try { await buildParams(); await buildEmotions(); } catch (e) { showError(e); }
      refresh(); setInterval(refresh, 1000);
    })();
    </script></body></html>
    """
}
