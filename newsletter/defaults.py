"""The categories a fresh install starts with. Editors change them in the admin."""

DEFAULT_CATEGORIES = [
    {
        "slug": "ai-business",
        "name": "AI business insight",
        "name_en": "AI business insight",
        "emoji": "🩵",
        "color": "#4e79a7",
        "description": "Companies, funding, deals, products, pricing, markets and the economics of AI.",
        "keywords": "business, funding, raises, investment, investor, acquisition, acquire, deal, "
        "partnership, partner, revenue, market, startup, valuation, pricing, plans, subscription, "
        "customers, enterprise, enterprises, company, industry, industrial, workforce, jobs, "
        "economic, adoption, add-in, workspace, ipo, billion, million, economy, productivity, "
        "투자, 기업, 시장, 매출, 인수, 스타트업, 경제, 산업, 제휴",
    },
    {
        "slug": "multimodal",
        "name": "Multimodal",
        "name_en": "Multimodal",
        "emoji": "🌞",
        "color": "#f28e2b",
        "description": "Models that see, hear or generate images, video, audio and speech.",
        "keywords": "multimodal, image, images, vision, video, audio, speech, voice, voices, diffusion, "
        "text-to-image, text-to-speech, speech-to-text, tts, ocr, transcription, transcribe, "
        "scanned, handwriting, "
        "visual, camera, music, 이미지, 영상, 음성, 멀티모달, 판독",
    },
    {
        "slug": "training",
        "name": "Model training technique",
        "name_en": "Model training technique",
        "emoji": "🤩",
        "color": "#e15759",
        "description": "How models are trained: data, pre-training, fine-tuning, RL, alignment methods, scaling.",
        "keywords": "training, pre-training, pretraining, post-training, fine-tuning, finetuning, fine-tune, "
        "reinforcement learning, rlhf, rl, dataset, training data, scaling, optimizer, "
        "distillation, lora, reward model, gradient, alignment, 학습, 훈련, 데이터셋",
    },
    {
        "slug": "llm",
        "name": "LLM",
        "name_en": "LLM",
        "emoji": "🧠",
        "color": "#76b7b2",
        "description": "Large language models, chatbots and their releases, capabilities and evaluations.",
        "keywords": "llm, language model, large language model, gpt, claude, gemini, llama, mistral, grok, "
        "chatbot, chatgpt, model release, flagship, frontier model, reasoning model, coding model, "
        "benchmark, reasoning, context window, tokens, prompt, api, intelligence, assistant, "
        "le chat, memories, personalization, "
        "언어모델, 챗봇, 초거대, 추론",
    },
    {
        "slug": "inference",
        "name": "Inference acceleration",
        "name_en": "Inference acceleration",
        "emoji": "⚡",
        "color": "#59a14f",
        "description": "Serving and running models faster and cheaper: chips, GPUs, quantisation, kernels.",
        "keywords": "inference engine, inference speed, latency, throughput, gpu, gpus, tpu, chip, chips, "
        "nvidia, quantization, quantisation, kernel, serving, accelerator, compute, datacenter, "
        "data center, cuda, vllm, memory bandwidth, tokens per second, llm inference, ms, p95, "
        "requests per second, tok/s, on-device, apple silicon, microcontroller, llama.cpp, "
        "gguf, mlx, ultrafast, "
        "반도체, 칩, 데이터센터, 경량화, 양자화, 전력, 가속기",
    },
    {
        "slug": "policy-safety",
        "name": "AI policy & safety",
        "name_en": "AI policy & safety",
        "emoji": "🛡️",
        "color": "#edc948",
        "description": "Regulation, law, government, security, safety research, risks, ethics and society.",
        "keywords": "policy, regulation, law, government, congress, eu, ai act, safety, security, risk, "
        "ethics, copyright, lawsuit, privacy, misuse, election, military, defense, cybersecurity, "
        "cyber, vulnerabilities, jailbreak, safeguards, safeguard, red-teaming, red teaming, "
        "system card, misalignment, monitorability, biosecurity, biodefense, dual-use, harmful, "
        "watermark, open-weights, society, societal, workers, legal, illegal, piracy, court, "
        "environmental, sustainability, regulatory, regulators, lobbying, lobby, sanctions, "
        "ethicist, ethical, watermarking, ai detection, hacks, hacked, breach, breaching, "
        "규제, 정책, 안전, 윤리, 정부, 보안, 법, 법안, 기본법, 시행령, 가이드라인, 개인정보, 저작권",
    },
    {
        "slug": "research",
        "name": "Research papers",
        "name_en": "Research papers",
        "emoji": "📄",
        "color": "#b07aa1",
        "description": "Academic papers, preprints and research results.",
        "keywords": "paper, arxiv, research, study, researchers, preprint, we propose, experiment, "
        "findings, university, scientists, scientific, science, mathematics, conjecture, proof, "
        "discovery, biology, chemistry, protein, life sciences, "
        "논문, 연구, 연구팀, 연구진",
    },
    {
        "slug": "robotics-agents",
        "name": "Robotics & agents",
        "name_en": "Robotics & agents",
        "emoji": "🤖",
        "color": "#ff9da7",
        "description": "Robots, autonomous agents, tool use, computer use and coding agents.",
        "keywords": "robot, robots, robotics, agent, agents, agentic, autonomous, autonomously, tool use, "
        "computer use, coding agent, humanoid, self-driving, harness, plugin, mcp, connectors, "
        "workflows, terminal, cli, embodied, navigation, drone, 로봇, 에이전트, 자율",
    },
    {
        "slug": "others",
        "name": "Others",
        "name_en": "Others",
        "emoji": "📦",
        "color": "#bab0ac",
        "description": "Not about AI, or fits no other category. Counted, never summarised.",
        "keywords": "",
        "in_digest": False,
    },
]

# The shipped descriptions are English already: English readers get them as written.
for _spec in DEFAULT_CATEGORIES:
    _spec.setdefault("description_en", _spec["description"])
# The Papers edition's categories, those of the report this product grew out of. A
# paper's arXiv categories (cs.CL, cs.CV, ...) are matched like words of its abstract,
# so they are keywords here too.
PAPERS_CATEGORIES = [
    {
        "slug": "papers-nlp",
        "name": "Natural Language Processing",
        "emoji": "🫧",
        "color": "#4e79a7",
        "description": "Language understanding and generation beyond LLMs themselves: "
        "translation, information extraction, speech and text, linguistics, retrieval.",
        "keywords": "cs.cl, natural language, nlp, translation, machine translation, "
        "linguistic, linguistics, text classification, sentiment, named entity, "
        "information extraction, question answering, summarization, parsing, corpus, "
        "corpora, dialogue, speech recognition, low-resource, multilingual, "
        "retrieval, misinformation, fact-checking, tokenizer, morphology",
    },
    {
        "slug": "papers-alignment",
        "name": "AI Alignment",
        "emoji": "🎠",
        "color": "#edc948",
        "description": "Alignment, safety, values, interpretability, fairness, "
        "jailbreaks, red-teaming and governance of AI systems.",
        "keywords": "alignment, aligned, misalignment, safety, safe, harmful, jailbreak, "
        "red-teaming, red teaming, reward hacking, human values, preference, "
        "preferences, rlhf, dpo, interpretability, mechanistic, fairness, bias, "
        "ethics, ethical, governance, trustworthy, honesty, deception, sycophancy, "
        "guardrail, guardrails, privacy, cs.cy, cs.cr, welfare, oversight",
    },
    {
        "slug": "papers-training",
        "name": "Model training technique",
        "emoji": "💚",
        "color": "#59a14f",
        "description": "How models are trained and made efficient: optimisation, "
        "fine-tuning, reinforcement learning, distillation, quantisation, data.",
        "keywords": "cs.lg, stat.ml, training, pre-training, pretraining, fine-tuning, "
        "finetuning, fine-tune, optimizer, optimization, gradient, convergence, loss, "
        "reinforcement learning, policy optimization, grpo, ppo, distillation, lora, "
        "parameter-efficient, quantization, pruning, sparsity, mixture of experts, "
        "scaling law, scaling laws, curriculum, synthetic data, data selection, "
        "federated, continual learning, memory-efficient",
    },
    {
        "slug": "papers-vision",
        "name": "Computer Vision",
        "emoji": "🪐",
        "color": "#76b7b2",
        "description": "Images, video and 3D: recognition, segmentation, detection, "
        "generation, reconstruction, medical imaging.",
        "keywords": "cs.cv, eess.iv, image, images, video, videos, visual, vision, "
        "segmentation, detection, object detection, 3d, point cloud, reconstruction, "
        "gaussian splatting, nerf, diffusion, depth, pose, tracking, medical imaging, "
        "ct, mri, remote sensing, pixel, camera, scene, rendering, cs.gr",
    },
    {
        "slug": "papers-llm",
        "name": "LLM",
        "emoji": "🚀",
        "color": "#e15759",
        "description": "Large language models: reasoning, agents, evaluation and "
        "benchmarks, prompting, code generation, inference.",
        "keywords": "llm, llms, large language model, large language models, "
        "language model, language models, reasoning, chain-of-thought, prompting, "
        "prompt, in-context learning, benchmark, agent, agents, agentic, tool use, "
        "code generation, hallucination, long-context, kv cache, decoding, "
        "retrieval-augmented, rag, test-time, gpt, llama, qwen, cs.ma, cs.se",
    },
    {
        "slug": "papers-multimodal",
        "name": "Multimodal",
        "emoji": "👽",
        "color": "#b07aa1",
        "description": "Models across modalities: vision-language, audio and speech "
        "with text, text-to-image and text-to-video, embodied and robotics models.",
        "keywords": "multimodal, multi-modal, vision-language, vision language, vlm, "
        "vlms, mllm, mllms, lvlm, text-to-image, text-to-video, image-text, "
        "audio, speech, cross-modal, visual question answering, vqa, captioning, "
        "embodied, robot, robotics, cs.ro, cs.sd, eess.as, video-language",
    },
    {
        "slug": "papers-others",
        "name": "Others",
        "emoji": "📦",
        "color": "#bab0ac",
        "description": "Papers that fit no other field. Counted, never summarised.",
        "keywords": "",
        "in_digest": False,
    },
]
